//! Tests against the real Debian engines (no mocks). Without them each test prints `SKIPPED`
//! and returns; under `CI` (`.ci/run` installs them) it fails instead.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use crate::models::difficulty::edit_distance;

use super::{ARPABET, NORMAL_WPM, SLOW_WPM, Speech, SpeechConfig, SpeechError};

/// Whether espeak-ng, ffmpeg and PocketSphinx are installed (else `SKIPPED`, or a failure
/// under `CI`).
fn engines_installed() -> bool {
    let availability = Speech::new(SpeechConfig::default()).availability();
    if let (Ok(()), Ok(())) = (&availability.tts, &availability.recognition) {
        return true;
    }
    let message = format!(
        "SKIPPED: speech engines missing (apt-get install espeak-ng ffmpeg pocketsphinx pocketsphinx-en-us): {availability:?}"
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("{message}");
    false
}

fn speech() -> Speech {
    Speech::new(SpeechConfig::default())
}

/// Duration of any PCM WAV (rate and channels from its header).
fn wav_seconds(wav: &[u8]) -> f64 {
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    let u16_at = |i: usize| u16::from_le_bytes([wav[i], wav[i + 1]]) as usize;
    let u32_at =
        |i: usize| u32::from_le_bytes([wav[i], wav[i + 1], wav[i + 2], wav[i + 3]]) as usize;
    let (mut pos, mut frame, mut rate) = (12, 0, 0);
    while pos + 8 <= wav.len() {
        let size = u32_at(pos + 4);
        match &wav[pos..pos + 4] {
            b"fmt " => {
                rate = u32_at(pos + 12);
                frame = u16_at(pos + 20);
            }
            b"data" => return size.min(wav.len() - pos - 8) as f64 / frame as f64 / rate as f64,
            _ => {}
        }
        pos += 8 + size + (size & 1);
    }
    panic!("no data chunk");
}

fn wav_format(wav: &[u8]) -> (u16, u32, u16) {
    let channels = u16::from_le_bytes([wav[22], wav[23]]);
    let rate = u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]);
    let bits = u16::from_le_bytes([wav[34], wav[35]]);
    (channels, rate, bits)
}

/// Runs ffmpeg on `input` bytes and returns the output file's bytes.
fn ffmpeg_convert(input: &[u8], out_name: &str, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let inp = dir.path().join("in.wav");
    let out = dir.path().join(out_name);
    std::fs::write(&inp, input).unwrap();
    let status = StdCommand::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-i"])
        .arg(&inp)
        .args(args)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg {args:?}");
    std::fs::read(out).unwrap()
}

/// `wav` padded with silence (or cut) to exactly `seconds`, 16 kHz mono.
fn clip_16k(wav: &[u8], seconds: f64) -> Vec<u8> {
    let t = seconds.to_string();
    ffmpeg_convert(
        wav,
        "clip.wav",
        &[
            "-af",
            "apad",
            "-t",
            &t,
            "-ar",
            "16000",
            "-ac",
            "1",
            "-c:a",
            "pcm_s16le",
        ],
    )
}

#[tokio::test]
async fn synthesize_hello_is_wav() {
    if !engines_installed() {
        return;
    }
    let wav = speech().synthesize("hello", NORMAL_WPM).await.unwrap();
    assert!(wav.len() > 1000);
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    assert_eq!(wav_format(&wav), (1, 22_050, 16));
    let secs = wav_seconds(&wav);
    println!("hello @170 wpm: {secs:.3} s, {} bytes", wav.len());
    assert!(secs > 0.3 && secs < 2.0, "{secs}");
}

#[tokio::test]
async fn slow_synthesis_is_longer() {
    if !engines_installed() {
        return;
    }
    let s = speech();
    let slow = s
        .synthesize("the cat sat on the mat", SLOW_WPM)
        .await
        .unwrap();
    let normal = s
        .synthesize("the cat sat on the mat", NORMAL_WPM)
        .await
        .unwrap();
    let clamped = s.synthesize("the cat sat on the mat", 5).await.unwrap();
    let (ts, tn, tc) = (
        wav_seconds(&slow),
        wav_seconds(&normal),
        wav_seconds(&clamped),
    );
    println!("slow {ts:.3} s, normal {tn:.3} s, 5 wpm (clamped to 80) {tc:.3} s");
    assert!(ts > tn * 1.2, "slow {ts} vs normal {tn}");
    assert!(tc > ts && tc < 10.0, "clamped {tc}");
}

#[tokio::test]
async fn synthesize_rejects_bad_text() {
    if !engines_installed() {
        return;
    }
    let s = speech();
    for bad in ["", "hi; rm -rf", "naïve", "a\nb", "123", &"a".repeat(65)] {
        let err = s.synthesize(bad, NORMAL_WPM).await.unwrap_err();
        assert!(matches!(err, SpeechError::InvalidText(_)), "{bad:?}: {err}");
    }
    // Option-looking text is spoken, not parsed as an option.
    let wav = s.synthesize("-q", NORMAL_WPM).await.unwrap();
    assert!(wav_seconds(&wav) > 0.1);
}

#[tokio::test]
async fn normalize_wav_webm_ogg() {
    if !engines_installed() {
        return;
    }
    let s = speech();
    let wav = s.synthesize("hello there", NORMAL_WPM).await.unwrap();
    let expected = wav_seconds(&wav);
    let webm = ffmpeg_convert(&wav, "a.webm", &["-c:a", "libopus", "-b:a", "32k"]);
    let ogg = ffmpeg_convert(&wav, "a.ogg", &["-c:a", "libvorbis"]);
    assert_eq!(&webm[0..4], &[0x1a, 0x45, 0xdf, 0xa3]);
    assert_eq!(&ogg[0..4], b"OggS");
    for (name, input) in [("wav", &wav), ("webm", &webm), ("ogg", &ogg)] {
        let start = Instant::now();
        let n = s.normalize(input).await.unwrap();
        println!(
            "{name}: {:.3} s (expected {expected:.3}) in {:?}",
            n.seconds,
            start.elapsed()
        );
        assert_eq!(wav_format(&n.wav16k), (1, 16_000, 16), "{name}");
        assert!((wav_seconds(&n.wav16k) - n.seconds).abs() < 1e-9);
        assert!(
            (n.seconds - expected).abs() < 0.1,
            "{name}: {} vs {expected}",
            n.seconds
        );
    }
}

#[tokio::test]
async fn normalize_limits_and_garbage() {
    if !engines_installed() {
        return;
    }
    let s = speech();
    // 11 s of tone.
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.wav");
    let ok = StdCommand::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=11",
        ])
        .args(["-ar", "16000", "-ac", "1"])
        .arg(&long)
        .status()
        .unwrap();
    assert!(ok.success());
    let long = std::fs::read(long).unwrap();
    let err = s.normalize(&long).await.unwrap_err();
    println!("11 s: {err}");
    assert!(
        matches!(err, SpeechError::TooLong { seconds, max } if seconds > 10.0 && max == 10.0),
        "{err:?}"
    );

    let big = vec![0u8; 3 * 1024 * 1024];
    let err = s.normalize(&big).await.unwrap_err();
    assert_eq!(
        err,
        SpeechError::TooLarge {
            bytes: 3 * 1024 * 1024,
            max: 2 * 1024 * 1024
        }
    );

    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let random: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let err = s.normalize(&random).await.unwrap_err();
    println!("random: {err}");
    assert!(matches!(err, SpeechError::Undecodable(_)), "{err:?}");
    assert!(matches!(
        s.normalize(&[]).await,
        Err(SpeechError::Undecodable(_))
    ));

    // An HLS playlist would make ffmpeg open the files it names; refused.
    let playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n";
    let err = s.normalize(playlist).await.unwrap_err();
    println!("playlist: {err}");
    assert!(matches!(err, SpeechError::Undecodable(_)), "{err:?}");
}

fn strip_stress(p: &str) -> String {
    p.trim_end_matches(|c: char| c.is_ascii_digit()).to_string()
}

/// All cmudict pronunciations of `word`, stress digits removed.
fn cmudict(word: &str) -> Vec<Vec<String>> {
    let text = include_str!("../../../../../fixtures/literacy/cmudict.dict");
    let prons: Vec<Vec<String>> = text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let head = parts.next()?;
            let base = head.split('(').next()?;
            (base == word).then(|| {
                parts
                    .take_while(|t| !t.starts_with('#'))
                    .map(strip_stress)
                    .collect()
            })
        })
        .collect();
    assert!(!prons.is_empty(), "{word} not in cmudict");
    prons
}

fn distance(phones: &[String], prons: &[Vec<String>]) -> usize {
    prons
        .iter()
        .map(|p| edit_distance(phones, p))
        .min()
        .unwrap_or(usize::MAX)
}

#[tokio::test]
async fn recognition_is_close_to_cmudict() {
    if !engines_installed() {
        return;
    }
    let s = speech();
    let words = ["cat", "dog", "sun", "fish", "hello"];
    let prons: Vec<_> = words.iter().map(|w| cmudict(w)).collect();
    println!(
        "| word | wpm | cmudict | recognised | dist own | unrelated | dist unrelated | time |"
    );
    let mut closer = [0usize; 2];
    for (r, wpm) in [NORMAL_WPM, SLOW_WPM].into_iter().enumerate() {
        for (i, word) in words.iter().enumerate() {
            let wav = s.synthesize(word, wpm).await.unwrap();
            let start = Instant::now();
            let rec = s.recognize(&wav).await.unwrap();
            let took = start.elapsed();
            assert!(!rec.phones.is_empty(), "{word}: no phones");
            assert!(
                rec.phones.iter().all(|p| ARPABET.contains(&p.as_str())),
                "{:?}",
                rec.phones
            );
            let j = (i + 1) % words.len();
            let own = distance(&rec.phones, &prons[i]);
            let other = distance(&rec.phones, &prons[j]);
            if own < other {
                closer[r] += 1;
            }
            println!(
                "| {word} | {wpm} | {} | {} | {own} | {} | {other} | {took:?} ({:.2} s audio) |",
                prons[i][0].join(" "),
                rec.phones.join(" "),
                words[j],
                rec.seconds
            );
        }
    }
    println!(
        "strictly closer to own word: {}/5 at {NORMAL_WPM} wpm, {}/5 at {SLOW_WPM} wpm",
        closer[0], closer[1]
    );
    assert!(closer[0] >= 3, "only {}/5 closer at normal rate", closer[0]);
}

#[tokio::test]
async fn timing_of_one_second_clip() {
    if !engines_installed() {
        return;
    }
    let s = speech();
    let wav = s.synthesize("hello", NORMAL_WPM).await.unwrap();
    let clip = clip_16k(&wav, 1.0);
    let mut phones_t = Vec::new();
    let mut full_t = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let phones = s.recognize_phones(&clip).await.unwrap();
        phones_t.push(t.elapsed());
        let t = Instant::now();
        let rec = s.recognize(&clip).await.unwrap();
        full_t.push(t.elapsed());
        assert_eq!(rec.phones, phones);
        assert!((rec.seconds - 1.0).abs() < 1e-6, "{}", rec.seconds);
    }
    let silence = ffmpeg_convert(
        &wav,
        "s.wav",
        &["-af", "volume=0", "-t", "0.3", "-ar", "16000", "-ac", "1"],
    );
    let t = Instant::now();
    let none = s.recognize_phones(&silence).await.unwrap();
    println!("0.3 s silence: {:?} -> {none:?}", t.elapsed());
    println!("1 s clip: recognize_phones {phones_t:?}; recognize (normalize+phones) {full_t:?}");
}

#[tokio::test]
async fn missing_programs_name_packages() {
    let cfg = SpeechConfig {
        espeak: "no-such-espeak-ng-xyz".into(),
        pocketsphinx: "/nonexistent/pocketsphinx_continuous".into(),
        ..SpeechConfig::default()
    };
    let s = Speech::new(cfg);
    let a = s.availability();
    let tts = a.tts.unwrap_err();
    assert_eq!(
        tts,
        SpeechError::Missing {
            program: "espeak-ng",
            package: "espeak-ng"
        }
    );
    println!("{tts}");
    assert!(tts.to_string().contains("Debian package espeak-ng"));
    let rec = a.recognition.unwrap_err();
    assert!(
        matches!(
            rec,
            SpeechError::Missing {
                package: "pocketsphinx",
                ..
            }
        ),
        "{rec:?}"
    );
    println!("{rec}");
    assert_eq!(s.synthesize("hello", 170).await.unwrap_err(), tts);
    assert_eq!(s.recognize(b"whatever").await.unwrap_err(), rec);

    let s = Speech::new(SpeechConfig {
        model_dir: "/nonexistent/model".into(),
        ..SpeechConfig::default()
    });
    let err = s.availability().recognition.unwrap_err();
    println!("{err}");
    assert!(
        err.to_string()
            .contains("speech recognition needs the Debian package pocketsphinx-en-us")
    );
    assert!(s.availability().tts.is_ok());

    let s = Speech::new(SpeechConfig {
        ffmpeg: "/nonexistent/ffmpeg".into(),
        ..SpeechConfig::default()
    });
    assert!(matches!(
        s.normalize(b"abc").await,
        Err(SpeechError::Missing {
            package: "ffmpeg",
            ..
        })
    ));

    let s = Speech::probe(SpeechConfig::default()).await;
    assert_eq!(s.availability().tts, Ok(()));
    assert_eq!(s.availability().recognition, Ok(()));
}

#[tokio::test]
async fn second_recognition_is_busy() {
    if !engines_installed() {
        return;
    }
    let s = Speech::new(SpeechConfig {
        max_concurrent: 1,
        queue_timeout: Duration::from_millis(50),
        ..SpeechConfig::default()
    });
    let wav = s.synthesize("hello", NORMAL_WPM).await.unwrap();
    let clip = clip_16k(&wav, 1.0);
    let (first, second) = tokio::join!(s.recognize_phones(&clip), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.recognize_phones(&clip).await
    });
    assert!(!first.unwrap().is_empty());
    assert_eq!(second.unwrap_err(), SpeechError::Busy);
    // The slot is free again afterwards.
    assert!(s.recognize_phones(&clip).await.is_ok());
}

/// Pids of live processes whose argv[0] is `program`, with their state.
fn processes_running(program: &Path) -> Vec<(u32, char)> {
    let want = program.as_os_str().as_encoded_bytes();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline.split(|b| *b == 0).next() == Some(want) {
            found.push((pid, process_state(pid).unwrap_or('?')));
        }
    }
    found
}

fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim().chars().next()
}

async fn wait_for_pid(program: &Path) -> u32 {
    for _ in 0..500 {
        if let Some((pid, _)) = processes_running(program).first() {
            return *pid;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("child never appeared");
}

fn private_pocketsphinx(dir: &Path) -> PathBuf {
    let link = dir.join("pocketsphinx_probe");
    std::os::unix::fs::symlink("/usr/bin/pocketsphinx_continuous", &link).unwrap();
    link
}

#[tokio::test]
async fn timeout_kills_child() {
    if !engines_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let program = private_pocketsphinx(dir.path());
    let after = Duration::from_millis(200);
    let s = Speech::new(SpeechConfig {
        pocketsphinx: program.clone(),
        timeout: after,
        ..SpeechConfig::default()
    });
    let wav = speech().synthesize("hello", NORMAL_WPM).await.unwrap();
    let clip = clip_16k(&wav, 8.0);
    let start = Instant::now();
    let (result, pid) = tokio::join!(s.recognize_phones(&clip), wait_for_pid(&program));
    let took = start.elapsed();
    println!("timeout after {took:?}: {result:?}; child pid {pid}");
    assert_eq!(
        result.unwrap_err(),
        SpeechError::Timeout {
            program: "pocketsphinx_continuous",
            after
        }
    );
    assert!(took < Duration::from_secs(2));
    assert_eq!(process_state(pid), None, "child {pid} still exists");
}

#[tokio::test]
async fn dropped_future_kills_child() {
    if !engines_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let program = private_pocketsphinx(dir.path());
    let s = Speech::new(SpeechConfig {
        pocketsphinx: program.clone(),
        ..SpeechConfig::default()
    });
    let wav = s.synthesize("hello", NORMAL_WPM).await.unwrap();
    let clip = clip_16k(&wav, 8.0);
    let pid = tokio::select! {
        r = s.recognize_phones(&clip) => panic!("finished too early: {r:?}"),
        pid = wait_for_pid(&program) => pid,
    };
    // The recognition future is dropped here; kill_on_drop sends SIGKILL.
    let mut state = process_state(pid);
    for _ in 0..100 {
        if matches!(state, None | Some('Z')) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        state = process_state(pid);
    }
    println!("after drop, child {pid} state: {state:?}");
    assert!(
        matches!(state, None | Some('Z')),
        "child {pid} still running: {state:?}"
    );
}
