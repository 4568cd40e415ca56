//! Placeholder: the graceful scenarios are being written.
