//! Placeholder: the crash scenarios are being written.
