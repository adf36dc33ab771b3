//! What the app asks its driver to do: the effects of an update.

use crate::jobs::Job;

/// What the app asks its driver to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(Job),
    /// Interrupt everything running (Esc).
    Cancel,
    /// Put text on the clipboard (OSC52).
    Copy(String),
    Quit,
}
