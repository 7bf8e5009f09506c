//! Asking for a password at a terminal without showing it.
//!
//! Echo is turned off *before* the prompt is written, so whatever is typed (or pasted) once the
//! prompt is visible is never shown, however quickly it comes. The terminal's settings are put
//! back when the line is read, when reading fails, and when Ctrl-C interrupts the prompt.

use rustix::termios::{LocalModes, OptionalActions, Termios, tcgetattr, tcsetattr};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;

/// Writes `prompt` to the controlling terminal and reads one line from it with echo off.
pub(super) fn hidden_line(prompt: &str) -> std::io::Result<String> {
    let tty = Arc::new(File::options().read(true).write(true).open("/dev/tty")?);
    let saved = tcgetattr(&*tty)?;
    let mut hidden = saved.clone();
    hidden
        .local_modes
        .remove(LocalModes::ECHO | LocalModes::ECHONL);
    hidden.local_modes.insert(LocalModes::ICANON);
    restore_on_interrupt(&tty);
    let restore = Restore {
        tty: Arc::clone(&tty),
        saved,
    };
    // Flush: what was typed before the prompt (already shown) is dropped, not taken as the
    // password.
    tcsetattr(&*tty, OptionalActions::Flush, &hidden)?;
    let mut out = &*tty;
    out.write_all(prompt.as_bytes())?;
    out.flush()?;
    let mut line = String::new();
    BufReader::new(&*tty).read_line(&mut line)?;
    drop(restore);
    out.write_all(b"\n")?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_string())
}

/// On Ctrl-C: the terminal's settings as they were before the prompt, then exit 130 as the
/// shell reports an interrupted command. The task lives as long as the process: once tokio
/// listens for SIGINT the default action is gone, so Ctrl-C after the prompt must still end
/// the command.
fn restore_on_interrupt(tty: &Arc<File>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let tty = Arc::clone(tty);
    let Ok(saved) = tcgetattr(&*tty) else { return };
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tcsetattr(&*tty, OptionalActions::Now, &saved);
            let _ = (&*tty).write_all(b"\n");
            std::process::exit(130);
        }
    });
}

/// Puts the terminal back, whichever way the prompt ends.
struct Restore {
    tty: Arc<File>,
    saved: Termios,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = tcsetattr(&*self.tty, OptionalActions::Now, &self.saved);
    }
}
