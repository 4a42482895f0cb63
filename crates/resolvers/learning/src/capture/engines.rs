//! Reading text out of uploads, offline: screenshots with Tesseract (`tesseract-ocr`,
//! `tesseract-ocr-eng`), videos by taking their audio track with ffmpeg (16 kHz mono) and
//! transcribing it with PocketSphinx's US English model (`pocketsphinx`,
//! `pocketsphinx-en-us`). Each program runs with a time limit in a temporary directory that is
//! removed afterwards; a program that is not installed is named with its Debian package.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use agora_platform::engine::{self, EngineError};
use tokio::process::Command;

/// Demuxers ffmpeg may use on an upload; anything else (playlists, concat lists, which would
/// make ffmpeg open other files or URLs named inside the upload) is refused.
const FORMAT_WHITELIST: &str = "mov,matroska,webm,ogg,wav,mp3,flac,aac,avi";
/// PocketSphinx's US English model, as Debian installs it.
const MODEL_DIR: &str = "/usr/share/pocketsphinx/model/en-us";

/// The programs and their limits.
#[derive(Debug, Clone)]
pub(crate) struct Engines {
    /// Time limit of each program run.
    pub timeout: Duration,
    /// Longest stretch of a video transcribed, in seconds.
    pub max_seconds: u32,
}

impl Engines {
    /// The text Tesseract reads in `image` (English).
    pub(crate) async fn ocr(&self, image: &[u8]) -> Result<String, String> {
        let dir = tempdir()?;
        let input = dir.path().join("screenshot");
        write(&input, image).await?;
        let mut cmd = Command::new("tesseract");
        cmd.arg(&input).args(["stdout", "-l", "eng", "--psm", "3"]);
        let out = self.run("tesseract", "tesseract-ocr", cmd).await?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// The words PocketSphinx hears in `video`'s audio track (at most [`Self::max_seconds`]).
    pub(crate) async fn transcribe(&self, video: &[u8]) -> Result<String, String> {
        let model = PathBuf::from(MODEL_DIR);
        if !model.join("en-us.lm.bin").exists() {
            return Err(
                "transcribing video needs the Debian package pocketsphinx-en-us (its model \
                 was not found)"
                    .into(),
            );
        }
        let dir = tempdir()?;
        let input = dir.path().join("video");
        let audio = dir.path().join("audio16k.raw");
        write(&input, video).await?;
        let mut ffmpeg = Command::new("ffmpeg");
        ffmpeg
            .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
            .args([
                "-protocol_whitelist",
                "file",
                "-format_whitelist",
                FORMAT_WHITELIST,
            ])
            .arg("-i")
            .arg(&input)
            .args(["-t", &self.max_seconds.to_string(), "-vn", "-sn", "-dn"])
            .args([
                "-ar",
                "16000",
                "-ac",
                "1",
                "-f",
                "s16le",
                "-c:a",
                "pcm_s16le",
            ])
            .arg(&audio);
        self.run("ffmpeg", "ffmpeg", ffmpeg).await.map_err(|e| {
            if e.contains("needs the Debian package") {
                e
            } else {
                format!("the video's sound could not be read ({e})")
            }
        })?;
        let samples = tokio::fs::metadata(&audio)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        if samples == 0 {
            return Err("the video has no sound to transcribe".into());
        }
        let mut sphinx = Command::new("pocketsphinx_continuous");
        sphinx
            .arg("-infile")
            .arg(&audio)
            .arg("-hmm")
            .arg(model.join("en-us"))
            .arg("-lm")
            .arg(model.join("en-us.lm.bin"))
            .arg("-dict")
            .arg(model.join("cmudict-en-us.dict"));
        let out = self.run("pocketsphinx", "pocketsphinx", sphinx).await?;
        // One line per utterance; the recogniser's log goes to stderr.
        let text: Vec<String> = String::from_utf8_lossy(&out)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(sentence)
            .collect();
        Ok(text.join(" "))
    }

    async fn run(
        &self,
        program: &'static str,
        package: &'static str,
        cmd: Command,
    ) -> Result<Vec<u8>, String> {
        engine::run(program, cmd, self.timeout)
            .await
            .map_err(|e| match e {
                EngineError::NotFound => {
                    format!("this needs the Debian package {package} ({program} was not found)")
                }
                EngineError::Start(e) => format!("{program} could not start: {e}"),
                EngineError::Timeout(after) => {
                    format!("{program} did not finish within {after:?} and was stopped")
                }
                EngineError::Failed(detail) => format!("{program} failed: {detail}"),
            })
    }
}

/// A transcribed utterance as a sentence: capitalised, ending with a full stop (the ranking
/// splits sentences on them; the recogniser prints none).
fn sentence(utterance: &str) -> String {
    let mut chars = utterance.chars();
    let mut text: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

fn tempdir() -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("agora-capture-")
        .tempdir()
        .map_err(|e| format!("no temporary directory: {e}"))
}

async fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    tokio::fs::write(path, bytes)
        .await
        .map_err(|e| format!("could not write the upload: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utterances_become_sentences() {
        assert_eq!(sentence("plants make sugar"), "Plants make sugar.");
        assert_eq!(sentence("is it?"), "Is it?");
    }
}
