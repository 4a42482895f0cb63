//! Speech engine adapter for the dyslexia-practice feature.
//!
//! Wraps three Debian command-line tools as async Rust:
//!
//! * **espeak-ng** — text-to-speech ([`Speech::synthesize`]),
//! * **ffmpeg** — decoding and normalising uploaded audio to 16 kHz mono
//!   16-bit WAV ([`Speech::normalize`]),
//! * **PocketSphinx** (`pocketsphinx_continuous` in all-phone mode) — offline
//!   phoneme recognition ([`Speech::recognize_phones`], [`Speech::recognize`]).
//!
//! Every child process is spawned with `kill_on_drop(true)` and is killed and
//! reaped when its time limit ([`SpeechConfig::timeout`]) runs out, so neither
//! a timeout nor a cancelled request leaves a process behind. Without an engine the
//! server still starts; only the feature that needs it answers [`SpeechError::Missing`],
//! naming the Debian package.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agora_platform::engine::{self, EngineError, resolve};
use tokio::process::Command;
use tokio::sync::Semaphore;

/// Longest text [`Speech::synthesize`] accepts, in characters.
pub(crate) const MAX_TEXT_CHARS: usize = 64;
/// Slowest speaking rate accepted by [`Speech::synthesize`] (words per minute).
pub(crate) const MIN_WPM: u32 = 80;
/// Fastest speaking rate accepted by [`Speech::synthesize`] (words per minute).
pub(crate) const MAX_WPM: u32 = 260;
/// Suggested "slow" speaking rate for practice (words per minute).
pub(crate) const SLOW_WPM: u32 = 110;
/// Suggested "normal" speaking rate (words per minute).
pub(crate) const NORMAL_WPM: u32 = 170;
/// Sample rate of normalised audio, in Hz.
pub(crate) const SAMPLE_RATE: u32 = 16_000;

/// The 39 ARPAbet phones (without stress digits) that recognition can return.
pub(crate) const ARPABET: [&str; 39] = [
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
    "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
    "UW", "V", "W", "Y", "Z", "ZH",
];

/// Input formats ffmpeg may demux. Anything else (notably playlist and
/// concat formats such as HLS, which would make ffmpeg open other files or
/// URLs named inside the upload) is refused.
const FORMAT_WHITELIST: &str = "wav,matroska,webm,ogg,mov,mp3,flac,aac";

const ESPEAK: &str = "espeak-ng";
const FFMPEG: &str = "ffmpeg";
const POCKETSPHINX: &str = "pocketsphinx_continuous";
const MODEL: &str = "pocketsphinx en-us model";

/// Errors from the speech engines.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum SpeechError {
    /// A program or model file is not installed.
    #[error(
        "{} needs the Debian package {package} ({program} was not found)",
        feature(program)
    )]
    Missing {
        /// The program (or model) that was not found.
        program: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The audio is longer than allowed.
    #[error("the recording is {seconds:.1} s long; at most {max} s is allowed")]
    TooLong {
        /// Measured duration (capped slightly above `max` while decoding).
        seconds: f64,
        /// The configured limit.
        max: f64,
    },
    /// The upload is larger than allowed.
    #[error("the upload is {bytes} bytes; at most {max} bytes are allowed")]
    TooLarge {
        /// Size of the upload.
        bytes: usize,
        /// The configured limit.
        max: usize,
    },
    /// The audio could not be decoded.
    #[error("the audio could not be decoded: {0}")]
    Undecodable(String),
    /// The text to speak is not acceptable.
    #[error("invalid text for speech synthesis: {0}")]
    InvalidText(String),
    /// A program ran longer than the configured timeout and was killed.
    #[error("{program} did not finish within {after:?} and was stopped")]
    Timeout {
        /// The program that was killed.
        program: &'static str,
        /// The time limit that was exceeded.
        after: Duration,
    },
    /// A program failed.
    #[error("{program} failed: {detail}")]
    Failed {
        /// The program that failed.
        program: &'static str,
        /// What went wrong (exit status and the relevant part of its output).
        detail: String,
    },
    /// All recognition slots stayed busy for the whole queue timeout.
    #[error("speech recognition is busy; try again shortly")]
    Busy,
}

fn feature(program: &str) -> &'static str {
    match program {
        ESPEAK => "speech synthesis",
        FFMPEG => "audio conversion",
        _ => "speech recognition",
    }
}

/// Configuration of the speech engines.
#[derive(Debug, Clone)]
pub(crate) struct SpeechConfig {
    /// espeak-ng executable (a bare name is looked up on `PATH`).
    pub(crate) espeak: PathBuf,
    /// ffmpeg executable (a bare name is looked up on `PATH`).
    pub(crate) ffmpeg: PathBuf,
    /// `pocketsphinx_continuous` executable (a bare name is looked up on `PATH`).
    pub(crate) pocketsphinx: PathBuf,
    /// Directory holding the `en-us` acoustic model and `en-us-phone.lm.bin`.
    pub(crate) model_dir: PathBuf,
    /// Largest accepted upload, in bytes.
    pub(crate) max_upload_bytes: usize,
    /// Longest accepted recording, in seconds.
    pub(crate) max_seconds: f64,
    /// Time limit for each child process.
    pub(crate) timeout: Duration,
    /// How long a recognition waits for a free slot before failing with
    /// [`SpeechError::Busy`].
    pub(crate) queue_timeout: Duration,
    /// Number of recognitions that may run at once (at least 1 is used).
    pub(crate) max_concurrent: usize,
}

impl Default for SpeechConfig {
    fn default() -> Self {
        SpeechConfig {
            espeak: PathBuf::from(ESPEAK),
            ffmpeg: PathBuf::from(FFMPEG),
            pocketsphinx: PathBuf::from(POCKETSPHINX),
            model_dir: PathBuf::from("/usr/share/pocketsphinx/model/en-us"),
            max_upload_bytes: 2 * 1024 * 1024,
            max_seconds: 10.0,
            timeout: Duration::from_secs(20),
            queue_timeout: Duration::from_secs(5),
            max_concurrent: 2,
        }
    }
}

/// Whether each feature can be used on this machine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Availability {
    /// Text-to-speech (espeak-ng).
    pub(crate) tts: Result<(), SpeechError>,
    /// Recognition (ffmpeg, pocketsphinx and its en-us model).
    pub(crate) recognition: Result<(), SpeechError>,
}

/// Audio normalised to 16 kHz mono signed 16-bit WAV.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Normalized {
    /// The WAV file bytes.
    pub(crate) wav16k: Vec<u8>,
    /// Duration, from the sample count.
    pub(crate) seconds: f64,
}

/// Result of recognising a recording.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recognized {
    /// Recognised ARPAbet phones (upper case, no stress digits, no silence).
    pub(crate) phones: Vec<String>,
    /// Duration of the recording in seconds.
    pub(crate) seconds: f64,
}

/// The speech engine adapter. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub(crate) struct Speech {
    config: SpeechConfig,
    espeak: PathBuf,
    ffmpeg: PathBuf,
    pocketsphinx: PathBuf,
    availability: Availability,
    ffmpeg_status: Result<(), SpeechError>,
    sphinx_status: Result<(), SpeechError>,
    slots: Semaphore,
}

impl Speech {
    /// Creates the adapter, resolving the programs on `PATH` and checking
    /// that they and the model files exist (no process is run).
    pub(crate) fn new(config: SpeechConfig) -> Speech {
        let espeak = resolve(&config.espeak);
        let ffmpeg = resolve(&config.ffmpeg);
        let pocketsphinx = resolve(&config.pocketsphinx);
        let tts = match espeak {
            Some(_) => Ok(()),
            None => Err(missing(ESPEAK)),
        };
        let model_ok = config.model_dir.join("en-us").join("mdef").is_file()
            && config.model_dir.join("en-us-phone.lm.bin").is_file();
        let sphinx_status = if pocketsphinx.is_none() {
            Err(missing(POCKETSPHINX))
        } else if !model_ok {
            Err(missing(MODEL))
        } else {
            Ok(())
        };
        let ffmpeg_status = match ffmpeg {
            Some(_) => Ok(()),
            None => Err(missing(FFMPEG)),
        };
        let recognition = sphinx_status.clone().and(ffmpeg_status.clone());
        let slots = Semaphore::new(config.max_concurrent.max(1));
        Speech {
            espeak: espeak.unwrap_or_else(|| config.espeak.clone()),
            ffmpeg: ffmpeg.unwrap_or_else(|| config.ffmpeg.clone()),
            pocketsphinx: pocketsphinx.unwrap_or_else(|| config.pocketsphinx.clone()),
            availability: Availability { tts, recognition },
            ffmpeg_status,
            sphinx_status,
            slots,
            config,
        }
    }

    /// Like [`Speech::new`], but also runs each engine once (espeak-ng
    /// `--version`, ffmpeg `-version`, pocketsphinx on a short silence) so
    /// that broken installations show up in [`Speech::availability`]. Test-only: the
    /// server starts with [`Speech::new`], which costs nothing.
    #[cfg(test)]
    pub(crate) async fn probe(config: SpeechConfig) -> Speech {
        let mut speech = Speech::new(config);
        if speech.availability.tts.is_ok() {
            let mut cmd = Command::new(&speech.espeak);
            cmd.arg("--version");
            if let Err(e) = speech.run(ESPEAK, cmd).await {
                speech.availability.tts = Err(e);
            }
        }
        if speech.availability.recognition.is_ok() {
            let mut cmd = Command::new(&speech.ffmpeg);
            cmd.args(["-nostdin", "-hide_banner", "-version"]);
            let probe = match speech.run(FFMPEG, cmd).await {
                Ok(_) => speech.recognize_phones(&silence_wav(0.3)).await.map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = probe {
                speech.availability.recognition = Err(e);
            }
        }
        speech
    }

    /// The configuration in use.
    pub(crate) fn config(&self) -> &SpeechConfig {
        &self.config
    }

    /// Which features are usable (checked at construction).
    pub(crate) fn availability(&self) -> Availability {
        self.availability.clone()
    }

    /// Speaks `text` with espeak-ng and returns a WAV file (22,050 Hz mono).
    ///
    /// `text` must be 1 to 64 ASCII letters, apostrophes, spaces or hyphens
    /// with at least one letter; `words_per_minute` is clamped to
    /// [`MIN_WPM`]`..=`[`MAX_WPM`] (see [`SLOW_WPM`] and [`NORMAL_WPM`]).
    pub(crate) async fn synthesize(
        &self,
        text: &str,
        words_per_minute: u32,
    ) -> Result<Vec<u8>, SpeechError> {
        validate_text(text)?;
        self.availability.tts.clone()?;
        let wpm = words_per_minute.clamp(MIN_WPM, MAX_WPM);
        let dir = tempdir()?;
        let out = dir.path().join("speech.wav");
        let mut cmd = Command::new(&self.espeak);
        cmd.arg("-w")
            .arg(&out)
            .arg("-s")
            .arg(wpm.to_string())
            .arg("--")
            .arg(text);
        let started = std::time::Instant::now();
        self.run(ESPEAK, cmd).await?;
        let wav = tokio::fs::read(&out)
            .await
            .map_err(|e| SpeechError::Failed {
                program: ESPEAK,
                detail: format!("no output file: {e}"),
            })?;
        if wav.len() <= 44 || !wav.starts_with(b"RIFF") {
            return Err(SpeechError::Failed {
                program: ESPEAK,
                detail: format!("produced no usable WAV ({} bytes)", wav.len()),
            });
        }
        tracing::debug!(text, wpm, bytes = wav.len(), elapsed = ?started.elapsed(), "synthesized");
        Ok(wav)
    }

    /// Decodes an upload (WAV, WebM/Opus, OGG/Vorbis, MP4/AAC, MP3, FLAC) and
    /// converts it to 16 kHz mono signed 16-bit WAV.
    pub(crate) async fn normalize(&self, audio: &[u8]) -> Result<Normalized, SpeechError> {
        let max = self.config.max_upload_bytes;
        if audio.len() > max {
            return Err(SpeechError::TooLarge {
                bytes: audio.len(),
                max,
            });
        }
        if audio.is_empty() {
            return Err(SpeechError::Undecodable("the upload is empty".into()));
        }
        self.ffmpeg_status.clone()?;
        let dir = tempdir()?;
        let input = dir.path().join("upload");
        let output = dir.path().join("normalized.wav");
        write_file(&input, audio).await?;
        // Decode a little past the limit so that over-long input is detected
        // without decoding arbitrarily long streams.
        let cap = format!("{:.3}", self.config.max_seconds.max(0.0) + 1.0);
        let mut cmd = Command::new(&self.ffmpeg);
        cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
            .args([
                "-protocol_whitelist",
                "file",
                "-format_whitelist",
                FORMAT_WHITELIST,
            ])
            .arg("-i")
            .arg(&input)
            .args(["-t", &cap, "-vn", "-sn", "-dn", "-map_metadata", "-1"])
            .args(["-fflags", "+bitexact", "-ar", "16000", "-ac", "1"])
            .args(["-c:a", "pcm_s16le", "-f", "wav"])
            .arg(&output);
        match self.run(FFMPEG, cmd).await {
            Ok(_) => {}
            Err(SpeechError::Failed { detail, .. }) => {
                return Err(SpeechError::Undecodable(detail));
            }
            Err(e) => return Err(e),
        }
        let wav16k = tokio::fs::read(&output)
            .await
            .map_err(|e| SpeechError::Undecodable(format!("ffmpeg produced no output: {e}")))?;
        let seconds = wav16k_seconds(&wav16k).map_err(|e| SpeechError::Failed {
            program: FFMPEG,
            detail: e,
        })?;
        if seconds <= 0.0 {
            return Err(SpeechError::Undecodable(
                "the recording contains no audio".into(),
            ));
        }
        if seconds > self.config.max_seconds {
            return Err(SpeechError::TooLong {
                seconds,
                max: self.config.max_seconds,
            });
        }
        Ok(Normalized { wav16k, seconds })
    }

    /// Recognises phones in a 16 kHz mono 16-bit WAV (as made by
    /// [`Speech::normalize`]) with PocketSphinx in all-phone mode.
    ///
    /// Waits at most [`SpeechConfig::queue_timeout`] for a free slot, else
    /// fails with [`SpeechError::Busy`].
    pub(crate) async fn recognize_phones(&self, wav16k: &[u8]) -> Result<Vec<String>, SpeechError> {
        let max = self.config.max_upload_bytes;
        if wav16k.len() > max {
            return Err(SpeechError::TooLarge {
                bytes: wav16k.len(),
                max,
            });
        }
        let pcm = wav16k_pcm(wav16k).map_err(SpeechError::Undecodable)?;
        let seconds = pcm_seconds(pcm);
        if seconds > self.config.max_seconds {
            return Err(SpeechError::TooLong {
                seconds,
                max: self.config.max_seconds,
            });
        }
        self.sphinx_status.clone()?;
        let pcm = trim_silence(pcm);
        if pcm.is_empty() {
            // Nothing but silence: nothing was said, and no recogniser needs to run.
            return Ok(Vec::new());
        }
        let _permit =
            match tokio::time::timeout(self.config.queue_timeout, self.slots.acquire()).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(_)) | Err(_) => return Err(SpeechError::Busy),
            };
        let dir = tempdir()?;
        // Raw samples, not the WAV: pocketsphinx_continuous skips exactly 44
        // header bytes of a `.wav` and would read any extra chunk as audio.
        let input = dir.path().join("audio16k.raw");
        write_file(&input, pcm).await?;
        let model = &self.config.model_dir;
        let mut cmd = Command::new(&self.pocketsphinx);
        cmd.arg("-infile")
            .arg(&input)
            .arg("-hmm")
            .arg(model.join("en-us"))
            .arg("-allphone")
            .arg(model.join("en-us-phone.lm.bin"))
            // Beams of 1e-15 (1e-20 before): 28% faster on 18 espeak words, the same phones
            // for 17 of them and closer to the dictionary for the last ("look").
            .args([
                "-backtrace",
                "yes",
                "-beam",
                "1e-15",
                "-pbeam",
                "1e-15",
                "-lw",
                "2.0",
            ]);
        let started = std::time::Instant::now();
        let out = self.run(POCKETSPHINX, cmd).await?;
        let phones = parse_phones(&out.stdout);
        tracing::debug!(seconds, ?phones, elapsed = ?started.elapsed(), "recognized");
        Ok(phones)
    }

    /// Normalises an upload and recognises its phones.
    pub(crate) async fn recognize(&self, audio: &[u8]) -> Result<Recognized, SpeechError> {
        self.sphinx_status.clone()?;
        let normalized = self.normalize(audio).await?;
        let phones = self.recognize_phones(&normalized.wav16k).await?;
        Ok(Recognized {
            phones,
            seconds: normalized.seconds,
        })
    }

    /// Runs a command with the configured timeout; on timeout (or when the
    /// returned future is dropped) the child is killed.
    async fn run(&self, program: &'static str, cmd: Command) -> Result<Output, SpeechError> {
        match engine::run(program, cmd, self.config.timeout).await {
            Ok(stdout) => Ok(Output { stdout }),
            Err(EngineError::NotFound) => Err(missing(program)),
            Err(EngineError::Start(e)) => Err(SpeechError::Failed {
                program,
                detail: format!("could not start: {e}"),
            }),
            Err(EngineError::Timeout(after)) => Err(SpeechError::Timeout { program, after }),
            Err(EngineError::Failed(detail)) => Err(SpeechError::Failed { program, detail }),
        }
    }
}

struct Output {
    stdout: Vec<u8>,
}

fn missing(program: &'static str) -> SpeechError {
    let package = match program {
        ESPEAK => "espeak-ng",
        FFMPEG => "ffmpeg",
        POCKETSPHINX => "pocketsphinx",
        _ => "pocketsphinx-en-us",
    };
    SpeechError::Missing { program, package }
}

fn tempdir() -> Result<tempfile::TempDir, SpeechError> {
    tempfile::Builder::new()
        .prefix("agora-speech-")
        .tempdir()
        .map_err(|e| SpeechError::Failed {
            program: "tempfile",
            detail: e.to_string(),
        })
}

async fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SpeechError> {
    tokio::fs::write(path, bytes)
        .await
        .map_err(|e| SpeechError::Failed {
            program: "tempfile",
            detail: e.to_string(),
        })
}

fn validate_text(text: &str) -> Result<(), SpeechError> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_TEXT_CHARS {
        return Err(SpeechError::InvalidText(format!(
            "must be 1 to {MAX_TEXT_CHARS} characters, got {chars}"
        )));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphabetic() || matches!(c, '\'' | ' ' | '-')))
    {
        return Err(SpeechError::InvalidText(format!(
            "only ASCII letters, apostrophes, spaces and hyphens are allowed, not {bad:?}"
        )));
    }
    if !text.chars().any(|c| c.is_ascii_alphabetic()) {
        return Err(SpeechError::InvalidText("must contain a letter".into()));
    }
    Ok(())
}

/// Parses PocketSphinx all-phone output into ARPAbet phones: silence and
/// filler tokens (`SIL`, `+SPN+`, `+NSN+`, `<s>` …) are dropped, stress
/// digits removed, anything not ARPAbet ignored.
pub(crate) fn parse_phones(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .flat_map(str::split_whitespace)
        .filter_map(|token| {
            let phone = token
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_ascii_uppercase();
            ARPABET.contains(&phone.as_str()).then_some(phone)
        })
        .collect()
}

/// Duration of a 16 kHz mono 16-bit PCM WAV, from its sample count.
/// Samples quieter than this (−45 dBFS) count as silence.
const SILENCE: u16 = 184;

/// `pcm` (16-bit little-endian mono) without its leading and trailing silence, keeping 0.1 s
/// on each side; empty when it is all silence. PocketSphinx's time grows with the audio, and
/// the recording of one word is mostly silence around it: a 2 s clip of one word is decoded in
/// about a third of the time.
fn trim_silence(pcm: &[u8]) -> &[u8] {
    let samples = pcm.len() / 2;
    let loud = |i: usize| i16::from_le_bytes([pcm[2 * i], pcm[2 * i + 1]]).unsigned_abs() > SILENCE;
    let Some(first) = (0..samples).find(|&i| loud(i)) else {
        return &[];
    };
    let last = (first..samples).rev().find(|&i| loud(i)).unwrap_or(first);
    let margin = SAMPLE_RATE as usize / 10;
    let start = first.saturating_sub(margin);
    let end = (last + margin + 1).min(samples);
    &pcm[start * 2..end * 2]
}

fn wav16k_seconds(wav: &[u8]) -> Result<f64, String> {
    Ok(pcm_seconds(wav16k_pcm(wav)?))
}

fn pcm_seconds(pcm: &[u8]) -> f64 {
    (pcm.len() / 2) as f64 / f64::from(SAMPLE_RATE)
}

/// The sample data of a 16 kHz mono 16-bit PCM WAV (any extra chunks, such
/// as ffmpeg's `LIST`, are skipped).
fn wav16k_pcm(wav: &[u8]) -> Result<&[u8], String> {
    let u16_at = |i: usize| wav.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |i: usize| {
        wav.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if wav.len() < 12 || &wav[0..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut pos = 12;
    let mut format_ok = false;
    while pos + 8 <= wav.len() {
        let id = &wav[pos..pos + 4];
        let size = u32_at(pos + 4).unwrap_or(0) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            let (fmt, channels, rate, bits) = (
                u16_at(body),
                u16_at(body + 2),
                u32_at(body + 4),
                u16_at(body + 14),
            );
            if fmt != Some(1)
                || channels != Some(1)
                || rate != Some(SAMPLE_RATE)
                || bits != Some(16)
            {
                return Err(format!(
                    "expected 16 kHz mono 16-bit PCM, got format {fmt:?}, {channels:?} channels, {rate:?} Hz, {bits:?} bits"
                ));
            }
            format_ok = true;
        } else if id == b"data" {
            if !format_ok {
                return Err("WAV data before format chunk".into());
            }
            // Streamed WAVs may carry a placeholder size; trust the bytes present.
            let end = body.saturating_add(size).min(wav.len());
            let end = body + (end - body) / 2 * 2;
            return Ok(&wav[body..end]);
        }
        pos = body.saturating_add(size).saturating_add(size & 1);
    }
    Err("WAV file has no data chunk".into())
}

/// A 16 kHz mono 16-bit WAV of silence (for probing).
#[cfg(test)]
fn silence_wav(seconds: f64) -> Vec<u8> {
    let samples = (seconds * f64::from(SAMPLE_RATE)) as u32;
    let data_len = samples * 2;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    wav.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.resize(44 + data_len as usize, 0);
    wav
}

#[cfg(test)]
mod unit {
    #[test]
    fn silence_is_trimmed_to_a_tenth_of_a_second_around_the_sound() {
        let mut samples = vec![0i16; 32_000];
        for s in &mut samples[16_000..16_800] {
            *s = 5_000;
        }
        let pcm: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let trimmed = super::trim_silence(&pcm);
        // 800 loud samples plus 1,600 (0.1 s) on each side.
        assert_eq!(trimmed.len(), (800 + 2 * 1_600) * 2);
        assert!(super::trim_silence(&vec![0u8; 3_200]).is_empty());
        assert!(super::trim_silence(&[]).is_empty());
    }

    use super::*;

    #[test]
    fn parses_phones() {
        let out = b"SIL K AA1 t +SPN+ +NSN+ <s> SIL\nSIL hh ER0 SIL\n";
        assert_eq!(parse_phones(out), ["K", "AA", "T", "HH", "ER"]);
        assert!(parse_phones(b"").is_empty());
        assert!(parse_phones(b"SIL\n").is_empty());
    }

    #[test]
    fn validates_text() {
        assert!(validate_text("hello").is_ok());
        assert!(validate_text("don't stop-now").is_ok());
        assert!(validate_text("-q").is_ok());
        for bad in ["", " ", "--", "héllo", "a;rm", "x\n", &"a".repeat(65)] {
            assert!(
                matches!(validate_text(bad), Err(SpeechError::InvalidText(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn wav_duration() {
        let wav = silence_wav(0.5);
        assert_eq!(wav16k_seconds(&wav), Ok(0.5));
        assert!(wav16k_seconds(b"RIFF\0\0\0\0WAVE").is_err());
        assert!(wav16k_seconds(b"garbage").is_err());
    }

    #[test]
    fn missing_message_names_package() {
        let msg = missing(MODEL).to_string();
        assert!(
            msg.contains("speech recognition needs the Debian package pocketsphinx-en-us"),
            "{msg}"
        );
        assert!(missing(ESPEAK).to_string().contains("espeak-ng"));
    }
}

#[cfg(test)]
mod tests;
