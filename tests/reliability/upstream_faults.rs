//! Placeholder: the upstream_faults scenarios are being written.
