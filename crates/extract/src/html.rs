//! Readable text from an HTML page: boilerplate subtrees are dropped, the main content
//! container is preferred, and the rest is flattened into blank-line separated blocks.

use scraper::node::Element;
use scraper::{ElementRef, Html, Node};

use crate::words::collapse_whitespace;

/// The readable part of an HTML page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Readable {
    /// The page title: the `<title>` element, else the first `<h1>`; `None` when both
    /// are missing or empty.
    pub title: Option<String>,
    /// Body text as blocks (paragraphs, headings, list items, quotes, table cells,
    /// preformatted text) separated by blank lines.
    pub text: String,
}

/// Elements whose whole subtree is never readable content.
const DROPPED_TAGS: &[&str] = &[
    "aside", "audio", "button", "canvas", "dialog", "embed", "footer", "form", "head", "header",
    "iframe", "nav", "noscript", "object", "script", "select", "style", "svg", "template",
    "textarea", "video",
];

/// ARIA landmark roles that mark page chrome rather than content.
#[rustfmt::skip]
const DROPPED_ROLES: &[&str] = &[
    "alertdialog", "banner", "complementary", "contentinfo", "dialog", "navigation", "search",
];

/// `class`/`id` words (split on non-alphanumerics) that mark chrome: cookie banners,
/// share bars, sidebars, ads. Ignored when a content word is also present.
#[rustfmt::skip]
const CHROME_HINTS: &[&str] = &[
    "ad", "ads", "advert", "advertisement", "breadcrumb", "breadcrumbs", "comments", "consent",
    "cookie", "cookies", "gdpr", "menu", "modal", "navbar", "newsletter", "popup", "promo",
    "related", "share", "sharing", "sidebar", "social", "sponsored", "subscribe",
];

/// `class`/`id` words that veto [`CHROME_HINTS`] (`content-with-sidebar` is content).
#[rustfmt::skip]
const CONTENT_HINTS: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "story",
];

/// Elements that start and end a text block.
#[rustfmt::skip]
const BLOCK_TAGS: &[&str] = &[
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
];

/// A content container is preferred over the body when its text has at least this many
/// characters (or at least half of the body's text).
const SUBSTANTIAL_CHARS: usize = 200;
/// Blocks shorter than this are dropped when most of their text is link text.
const SHORT_BLOCK_CHARS: usize = 200;
/// At most this many `<article>`/`<main>` candidates are compared.
const MAX_CANDIDATES: usize = 32;

/// Reduces an HTML page to its readable body text.
///
/// Subtrees of `script`, `style`, `noscript`, `template`, `svg`, `nav`, `header`,
/// `footer`, `aside`, `form`, `iframe`, `button` (and media/embeds) are dropped, as are
/// hidden elements, chrome landmarks (`role=navigation`, `banner`, `contentinfo`, …)
/// and elements whose `class`/`id` names a cookie banner, share bar, sidebar or ad.
/// The largest `<article>`, `<main>` or `[role=main]` container is used when it holds
/// a substantial amount of text, otherwise the whole body. Paragraphs, headings, list
/// items, blockquotes, table cells and `pre` become separate blocks joined by blank
/// lines; whitespace inside a block is collapsed (line structure is kept in `pre`).
/// Entities are decoded by the HTML5 parser. Short blocks made mostly of link text
/// (menus, tag clouds, "related" lists) are dropped as boilerplate.
///
/// Never panics: malformed markup, an empty string or binary noise simply yields
/// little or no text.
pub fn readable_text(html: &str) -> Readable {
    let document = Html::parse_document(html);
    Readable {
        title: title(&document),
        text: content_blocks(&document).join("\n\n"),
    }
}

/// The text of an HTML fragment as a note field holds it (`What <b>bends</b> light?<br>A
/// lens&nbsp;…`): line breaks and block elements become newlines, whitespace inside a line
/// is collapsed, entities are decoded, and scripts, styles and media are dropped (an image
/// leaves nothing). Blank lines are removed. Never panics.
pub fn fragment_text(html: &str) -> String {
    fn visit(element: ElementRef<'_>, out: &mut String) {
        for child in element.children() {
            if let Some(el) = ElementRef::wrap(child) {
                let name = el.value().name();
                if DROPPED_TAGS.contains(&name) || matches!(name, "img" | "picture") {
                    continue;
                }
                let block = name == "br" || BLOCK_TAGS.contains(&name);
                if block {
                    out.push('\n');
                }
                visit(el, out);
                if block && name != "br" {
                    out.push('\n');
                }
            } else if let Node::Text(text) = child.value() {
                out.push_str(text);
            }
        }
    }
    let fragment = Html::parse_fragment(html);
    let mut raw = String::new();
    visit(fragment.root_element(), &mut raw);
    raw.lines()
        .map(collapse_whitespace)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text of the first `<title>` (outside SVG), else of the first `<h1>`.
fn title(document: &Html) -> Option<String> {
    let first_text = |name: &str| {
        document
            .root_element()
            .descendent_elements()
            .filter(|el| el.value().name() == name && !has_ancestor(*el, |a| a.name() == "svg"))
            .map(|el| collapse_whitespace(&el.text().collect::<String>()))
            .find(|text| !text.is_empty())
    };
    first_text("title").or_else(|| first_text("h1"))
}

/// Blocks of the best content container, or of the body.
fn content_blocks(document: &Html) -> Vec<String> {
    let body_blocks = extract_blocks(body(document));
    let body_chars = total_chars(&body_blocks);
    let best = candidates(document).map(extract_blocks).fold(
        None::<Vec<String>>,
        |best, blocks| match best {
            Some(b) if total_chars(&b) >= total_chars(&blocks) => Some(b),
            _ => Some(blocks),
        },
    );
    match best {
        Some(blocks) if is_substantial(total_chars(&blocks), body_chars) => blocks,
        _ => body_blocks,
    }
}

fn is_substantial(chars: usize, body_chars: usize) -> bool {
    chars > 0 && (chars >= SUBSTANTIAL_CHARS || chars * 2 >= body_chars)
}

fn total_chars(blocks: &[String]) -> usize {
    blocks.iter().map(|block| block.chars().count()).sum()
}

/// The `<body>` element, or the root element for documents without one (framesets).
fn body(document: &Html) -> ElementRef<'_> {
    let root = document.root_element();
    root.child_elements()
        .find(|el| el.value().name() == "body")
        .unwrap_or(root)
}

/// `<article>`, `<main>` and `[role=main]` elements outside dropped subtrees.
fn candidates(document: &Html) -> impl Iterator<Item = ElementRef<'_>> {
    document
        .root_element()
        .descendent_elements()
        .filter(|el| {
            let value = el.value();
            matches!(value.name(), "article" | "main") || value.attr("role") == Some("main")
        })
        .filter(|el| !has_ancestor(*el, is_dropped))
        .take(MAX_CANDIDATES)
}

fn has_ancestor(el: ElementRef<'_>, test: impl Fn(&Element) -> bool) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|ancestor| test(ancestor.value()))
}

/// Whether an element's subtree is page chrome rather than content.
fn is_dropped(el: &Element) -> bool {
    let name = el.name();
    if DROPPED_TAGS.contains(&name) {
        return true;
    }
    if el.attr("hidden").is_some() || el.attr("aria-hidden") == Some("true") {
        return true;
    }
    if el
        .attr("role")
        .is_some_and(|role| DROPPED_ROLES.contains(&role.trim()))
    {
        return true;
    }
    if el.attr("style").is_some_and(hides) {
        return true;
    }
    !matches!(name, "html" | "body" | "main" | "article") && has_chrome_hint(el)
}

/// Inline style that hides the element.
fn hides(style: &str) -> bool {
    let compact: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

fn has_chrome_hint(el: &Element) -> bool {
    let names = [el.attr("class"), el.id()];
    let words: Vec<String> = names
        .iter()
        .flatten()
        .flat_map(|value| value.split(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let has = |list: &[&str]| words.iter().any(|word| list.contains(&word.as_str()));
    has(CHROME_HINTS) && !has(CONTENT_HINTS)
}

/// Flattens the readable part of `root` into text blocks.
fn extract_blocks(root: ElementRef<'_>) -> Vec<String> {
    let mut extractor = Extractor::default();
    walk(root, &mut extractor);
    extractor.flush();
    extractor.blocks
}

/// Receives the nodes of a depth-first walk.
trait Visitor {
    /// Called when a node is entered; returning `false` skips its subtree (and `close`).
    fn open(&mut self, node: &Node) -> bool;
    /// Called when a node whose `open` returned `true` is left.
    fn close(&mut self, node: &Node);
}

/// Iterative depth-first walk of `root`'s subtree (no recursion, so arbitrarily deep
/// markup cannot overflow the stack).
fn walk(root: ElementRef<'_>, visitor: &mut impl Visitor) {
    let root = *root;
    let mut current = root;
    loop {
        if visitor.open(current.value()) {
            if let Some(child) = current.first_child() {
                current = child;
                continue;
            }
            visitor.close(current.value());
        }
        loop {
            if current.id() == root.id() {
                return;
            }
            if let Some(sibling) = current.next_sibling() {
                current = sibling;
                break;
            }
            let Some(parent) = current.parent() else {
                return;
            };
            current = parent;
            visitor.close(current.value());
        }
    }
}

/// Accumulates text into blocks while walking the tree.
#[derive(Default)]
struct Extractor {
    blocks: Vec<String>,
    text: String,
    /// Visible (non-whitespace) characters in the current block.
    chars: usize,
    /// Of which inside `<a>`.
    link_chars: usize,
    preformatted: bool,
    depth: usize,
    link_depth: usize,
    pre_depth: usize,
}

impl Visitor for Extractor {
    fn open(&mut self, node: &Node) -> bool {
        let descend = match node {
            Node::Text(text) => {
                self.push_text(text);
                true
            }
            Node::Element(el) => self.open_element(el),
            Node::Document | Node::Fragment => true,
            _ => false,
        };
        if descend {
            self.depth += 1;
        }
        descend
    }

    fn close(&mut self, node: &Node) {
        self.depth = self.depth.saturating_sub(1);
        let Node::Element(el) = node else {
            return;
        };
        match el.name() {
            "a" => self.link_depth = self.link_depth.saturating_sub(1),
            "pre" => self.pre_depth = self.pre_depth.saturating_sub(1),
            _ => {}
        }
        if BLOCK_TAGS.contains(&el.name()) {
            self.flush();
        }
    }
}

impl Extractor {
    fn open_element(&mut self, el: &Element) -> bool {
        let is_root = self.depth == 0;
        if !is_root && is_dropped(el) {
            return false;
        }
        let name = el.name();
        if BLOCK_TAGS.contains(&name) {
            self.flush();
        }
        match name {
            "a" => self.link_depth += 1,
            "pre" => self.pre_depth += 1,
            "br" => self.text.push('\n'),
            _ => {}
        }
        true
    }

    fn push_text(&mut self, text: &str) {
        let visible = text.chars().filter(|c| !c.is_whitespace()).count();
        self.chars += visible;
        if self.link_depth > 0 {
            self.link_chars += visible;
        }
        if self.pre_depth > 0 {
            self.preformatted = true;
        }
        self.text.push_str(text);
    }

    /// Ends the current block, keeping it unless it is empty or link boilerplate.
    fn flush(&mut self) {
        let raw = std::mem::take(&mut self.text);
        let block = if self.preformatted {
            tidy_preformatted(&raw)
        } else {
            collapse_whitespace(&raw)
        };
        if !block.is_empty() && !is_link_boilerplate(self.chars, self.link_chars) {
            self.blocks.push(block);
        }
        self.chars = 0;
        self.link_chars = 0;
        self.preformatted = false;
    }
}

/// Mostly link text and short, or almost entirely link text.
fn is_link_boilerplate(chars: usize, link_chars: usize) -> bool {
    let mostly_links = link_chars * 2 > chars;
    let almost_all_links = link_chars * 10 >= chars * 8;
    mostly_links && (chars < SHORT_BLOCK_CHARS || almost_all_links)
}

/// Keeps the lines of preformatted text but trims their ends and drops blank lines
/// (a blank line would read as a block boundary).
fn tidy_preformatted(raw: &str) -> String {
    raw.lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_field_becomes_lines_of_text() {
        assert_eq!(
            fragment_text("What <b>bends</b>&nbsp;light?<br>A <i>lens</i><img src=\"x.png\">"),
            "What bends light?\nA lens"
        );
        assert_eq!(
            fragment_text("<div>one</div><div>  two  </div><script>x()</script>"),
            "one\ntwo"
        );
        assert_eq!(fragment_text("a &lt; b &amp;&amp; c"), "a < b && c");
        assert_eq!(fragment_text(""), "");
    }

    const PAGE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>How Photosynthesis Works &ndash; Green Science</title>
  <style>body { font-family: serif; } .cookie-banner { position: fixed; }</style>
  <script>window.dataLayer = []; function track() { return "tracking"; }</script>
</head>
<body class="has-sidebar">
  <div id="cookie-banner" class="cookie-banner">
    <p>We use cookies to improve your experience on our site and to show you relevant ads.</p>
    <button>Accept all</button> <a href="/privacy">Privacy policy</a>
  </div>
  <header class="site-header">
    <a href="/" class="logo">Green Science</a>
    <nav>
      <ul>
        <li><a href="/">Home</a></li>
        <li><a href="/biology">Biology</a></li>
        <li><a href="/chemistry">Chemistry</a></li>
        <li><a href="/about">About us</a></li>
      </ul>
    </nav>
  </header>
  <div class="layout">
    <article>
      <h1>How   photosynthesis works</h1>
      <p>Photosynthesis is the process by which green plants turn light,
         water and carbon dioxide into sugar &amp; oxygen.</p>
      <p>It happens in the <a href="/chloroplast">chloroplasts</a>, small organelles
         packed with the green pigment chlorophyll.</p>
      <h2>The two stages</h2>
      <ul>
        <li>The light-dependent reactions capture energy from sunlight.</li>
        <li>The Calvin cycle uses that energy to build glucose.</li>
      </ul>
      <blockquote>Without photosynthesis there would be almost no oxygen in the air.</blockquote>
      <table><tr><td>Input</td><td>Carbon dioxide and water</td></tr></table>
      <pre>6 CO2 + 6 H2O
   -> C6H12O6 + 6 O2</pre>
      <script>alert("inline script inside the article");</script>
      <div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Tweet this</a></div>
      <p class="tags"><a href="/t/plants">plants</a>, <a href="/t/energy">energy</a>, <a href="/t/biology">biology</a></p>
    </article>
    <aside class="sidebar">
      <h3>Related articles</h3>
      <p>Our sidebar recommends reading about cellular respiration next week.</p>
    </aside>
  </div>
  <footer>
    <p>&copy; 2024 Green Science. All rights reserved.</p>
    <a href="/contact">Contact</a>
  </footer>
  <noscript>Please enable JavaScript to view this site.</noscript>
</body>
</html>"##;

    #[test]
    fn keeps_article_blocks_and_drops_chrome() {
        let readable = readable_text(PAGE);
        let text = &readable.text;
        let blocks: Vec<&str> = text.split("\n\n").collect();
        assert_eq!(blocks[0], "How photosynthesis works");
        assert_eq!(
            blocks[1],
            "Photosynthesis is the process by which green plants turn light, \
             water and carbon dioxide into sugar & oxygen."
        );
        assert!(text.contains("It happens in the chloroplasts, small organelles"));
        assert!(blocks.contains(&"The two stages"));
        assert!(blocks.contains(&"The light-dependent reactions capture energy from sunlight."));
        assert!(blocks.contains(&"The Calvin cycle uses that energy to build glucose."));
        assert!(
            blocks.contains(&"Without photosynthesis there would be almost no oxygen in the air.")
        );
        assert!(blocks.contains(&"Input"));
        assert!(blocks.contains(&"Carbon dioxide and water"));
        assert!(blocks.contains(&"6 CO2 + 6 H2O\n   -> C6H12O6 + 6 O2"));
        for junk in [
            "cookies",
            "Accept all",
            "Home",
            "Chemistry",
            "About us",
            "inline script",
            "Share on Facebook",
            "Tweet",
            "biology",
            "sidebar",
            "rights reserved",
            "JavaScript",
            "font-family",
            "dataLayer",
            "Green Science",
        ] {
            assert!(!text.contains(junk), "{junk:?} leaked into:\n{text}");
        }
    }

    #[test]
    fn title_comes_from_title_element() {
        let readable = readable_text(PAGE);
        assert_eq!(
            readable.title.as_deref(),
            Some("How Photosynthesis Works \u{2013} Green Science")
        );
    }

    #[test]
    fn title_falls_back_to_first_h1() {
        let html = "<html><head><title>  </title></head><body><svg><title>icon</title></svg>\
                    <h1>First <em>heading</em></h1><h1>Second</h1></body></html>";
        assert_eq!(readable_text(html).title.as_deref(), Some("First heading"));
        assert_eq!(readable_text("<p>No headings at all here.</p>").title, None);
    }

    #[test]
    fn body_is_used_without_article_and_link_farms_are_dropped() {
        let html = r#"<body>
            <div class="menu-strip"><a href="/a">Alpha</a> | <a href="/b">Beta</a></div>
            <div id="links"><a href="/1">Cheap flights</a> <a href="/2">Best hotels</a>
                <a href="/3">Car rental deals</a> <a href="/4">Travel insurance</a></div>
            <div>Tides are caused mainly by the gravitational pull of the Moon.
                 <a href="/moon">Read more</a></div>
            <p>The Sun also contributes, producing <a href="/spring">spring tides</a> when aligned.</p>
            <footer>Footer text that should vanish</footer>
        </body>"#;
        let text = readable_text(html).text;
        assert_eq!(
            text,
            "Tides are caused mainly by the gravitational pull of the Moon. Read more\n\n\
             The Sun also contributes, producing spring tides when aligned."
        );
    }

    #[test]
    fn short_article_does_not_replace_a_rich_body() {
        let long = "Rivers carve valleys over millions of years of slow erosion. ".repeat(10);
        let html =
            format!("<body><article><p>Teaser only.</p></article><div><p>{long}</p></div></body>");
        let text = readable_text(&html).text;
        assert!(text.contains("Teaser only."));
        assert!(text.contains("Rivers carve valleys"));
    }

    #[test]
    fn role_main_is_a_content_container() {
        let para = "Glaciers move slowly downhill under their own enormous weight. ".repeat(5);
        let html = format!(
            "<body><div class=\"promo-box\"><p>Buy our glacier calendar today for ten dollars.</p></div>\
             <div role=\"main\"><p>{para}</p></div><div>Unrelated trailing widget text here.</div></body>"
        );
        let text = readable_text(&html).text;
        assert!(text.starts_with("Glaciers move slowly"));
        assert!(!text.contains("calendar"));
        assert!(!text.contains("widget"));
    }

    #[test]
    fn hidden_elements_are_dropped() {
        let html = r#"<body><p>Visible paragraph with several words.</p>
            <p hidden>Hidden by attribute.</p>
            <div style="display: none">Hidden by style.</div>
            <div aria-hidden="true">Hidden from assistive tech.</div></body>"#;
        assert_eq!(
            readable_text(html).text,
            "Visible paragraph with several words."
        );
    }

    #[test]
    fn survives_malformed_empty_and_garbage_input() {
        assert_eq!(readable_text(""), Readable::default());
        let malformed = "<html><body><p>Unclosed <b>bold <i>italic</p></div></span>\
                         <table><td>cell<tr><li>item</ul><<<>>>&bogus;&#xFFFFFFF;</body></html></html>";
        let readable = readable_text(malformed);
        assert!(readable.text.contains("Unclosed bold italic"));
        assert!(readable.text.contains("cell"));
        let garbage: String = (0u32..2000)
            .filter_map(|i| char::from_u32((i * 7919) % 0x2FFF))
            .collect();
        let _ = readable_text(&garbage);
        let _ = readable_text("\0\0<\0p>\u{FFFD}</");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!(
            "{}deep text here{}",
            "<div>".repeat(20_000),
            "</div>".repeat(20_000)
        );
        let readable = readable_text(&html);
        assert_eq!(readable.text, "deep text here");
    }

    #[test]
    fn br_and_inline_whitespace_collapse() {
        let html = "<p>Line one<br>line   two\n\n  and&nbsp;three</p>";
        assert_eq!(readable_text(html).text, "Line one line two and three");
    }
}
