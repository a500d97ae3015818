//! Color, only when writing to a terminal (and NO_COLOR is unset).

use std::io::IsTerminal;

use crate::cli::ColorChoice;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    pub fn new(choice: ColorChoice) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Style { color }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn commit(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn added(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn removed(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn modified(&self, s: &str) -> String {
        self.paint("36", s)
    }
}

/// Every spinner and bar draws through one multi-line display, so that a
/// bar started while a spinner turns gets a line of its own.
fn display() -> &'static indicatif::MultiProgress {
    static DISPLAY: std::sync::OnceLock<indicatif::MultiProgress> = std::sync::OnceLock::new();
    DISPLAY.get_or_init(indicatif::MultiProgress::new)
}

/// Set once `--json` is seen: no spinner or bar is drawn then.
static SILENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Draw no spinners or bars for the rest of the process (`--json`).
pub fn silence_progress(silent: bool) {
    SILENT.store(silent, std::sync::atomic::Ordering::Relaxed);
}

/// Whether spinners and bars are drawn: stderr is a terminal and the
/// output is not JSON.
fn drawing() -> bool {
    !SILENT.load(std::sync::atomic::Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// A spinner on stderr while a long operation runs, only on a terminal.
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn start(message: &str) -> Spinner {
        if !drawing() {
            return Spinner(None);
        }
        let bar = display().add(indicatif::ProgressBar::new_spinner());
        bar.set_message(message.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Spinner(Some(bar))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
            display().remove(bar);
        }
    }
}

/// The library's progress (`pggit::core::progress`) as a bar on stderr
/// with counts, rate and time left: only on a terminal, and never with
/// `--json`.
#[derive(Default)]
pub struct Bar(std::sync::Mutex<Option<indicatif::ProgressBar>>);

impl Bar {
    /// A bar when stderr is a terminal and the output is not JSON.
    pub fn when_drawing() -> Option<Bar> {
        drawing().then(Bar::default)
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<indicatif::ProgressBar>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl pggit::core::progress::Progress for Bar {
    fn begin(&self, what: &str, total: u64) {
        let bar = display().add(indicatif::ProgressBar::new(total));
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {human_pos}/{human_len} ({rate}, {eta} left)",
        ) {
            let rate = |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", s.per_sec());
            };
            bar.set_style(style.with_key("rate", rate).progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        if let Some(old) = self.slot().replace(bar) {
            old.finish_and_clear();
            display().remove(&old);
        }
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &*self.slot() {
            bar.inc(n);
            // The length may be an estimate (a table's row count).
            if bar.length().is_some_and(|len| bar.position() > len) {
                bar.set_length(bar.position());
            }
        }
    }

    fn end(&self) {
        if let Some(bar) = self.slot().take() {
            bar.finish_and_clear();
            display().remove(&bar);
        }
    }
}

/// A character that must not reach the terminal raw: C0/C1 controls and
/// DEL (cursor movement, screen clearing, forged lines) and the Unicode
/// bidirectional controls that reorder what is shown.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
    }
}

/// A name or message line for the terminal, with every unsafe character
/// (newlines included) shown as an escape, as git quotes odd paths.
pub fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A multi-line message (an error) for the terminal: its lines kept, every
/// other unsafe character escaped.
pub fn esc_message(s: &str) -> String {
    s.split('\n')
        .map(|l| esc(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The color sequences [`Style`] writes: the only escapes let through.
const OWN_SGR: [&str; 5] = ["\x1b[0m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m"];

/// Standard output with every control character except newline and tab
/// escaped, whatever printed it: a name that carries terminal escapes
/// cannot clear the screen or move the cursor. With color on, pggit's own
/// color sequences pass.
pub struct SafeOut<W: std::io::Write> {
    inner: W,
    color: bool,
}

impl<W: std::io::Write> SafeOut<W> {
    pub fn new(inner: W, style: Style) -> Self {
        SafeOut {
            inner,
            color: style.color,
        }
    }
}

impl<W: std::io::Write> std::io::Write for SafeOut<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        if !text
            .chars()
            .any(|c| unsafe_char(c) && c != '\n' && c != '\t')
        {
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut rest: &str = &text;
        while let Some(c) = rest.chars().next() {
            if c == '\x1b' && self.color {
                if let Some(sgr) = OWN_SGR.iter().find(|s| rest.starts_with(**s)) {
                    out.push_str(sgr);
                    rest = &rest[sgr.len()..];
                    continue;
                }
            }
            if unsafe_char(c) && c != '\n' && c != '\t' {
                push_escaped(&mut out, c);
            } else {
                out.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
        self.inner.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn escapes_names_and_output() {
        assert_eq!(esc("plain.name"), "plain.name");
        assert_eq!(esc("a\nb\x1b[2Jc\u{202e}"), "a\\nb\\x1b[2Jc\\u{202e}");
        let mut buf = Vec::new();
        let mut out = SafeOut::new(&mut buf, Style { color: false });
        write!(out, "x\x1b[2J\ny\x07\u{9b}z\t").unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "x\\x1b[2J\ny\\x07\\x9bz\t");
        let mut buf = Vec::new();
        let mut out = SafeOut::new(&mut buf, Style { color: true });
        write!(out, "\x1b[33mabc\x1b[0m \x1b[2J").unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "\x1b[33mabc\x1b[0m \\x1b[2J"
        );
    }
}
