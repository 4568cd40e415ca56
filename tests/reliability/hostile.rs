//! Placeholder: the hostile scenarios are being written.
