//! Every error a client sees (AIP-193): a code, a readable message, and the
//! standard details a client acts on without parsing the message:
//! `google.rpc.ErrorInfo` always (a stable `reason` in the [`DOMAIN`], with
//! metadata), `BadRequest` naming the field for bad input, `ResourceInfo`
//! for a missing resource. Internal details are logged, never sent.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::query::{Missing, QueryError};
use crate::store::StoreError;

/// The `ErrorInfo.domain` of every error tradepact sends.
pub const DOMAIN: &str = "tradepact.dev";

/// The stable `ErrorInfo.reason` values. Clients may switch on them; new ones
/// may be added, none is renamed.
pub mod reason {
    /// A request field is malformed, out of range or names something unknown.
    pub const FIELD_INVALID: &str = "FIELD_INVALID";
    /// No agreement has the id asked for.
    pub const AGREEMENT_NOT_FOUND: &str = "AGREEMENT_NOT_FOUND";
    /// The server holds no value of the indicator for the economy.
    pub const INDICATOR_NOT_HELD: &str = "INDICATOR_NOT_HELD";
    /// The vintage asked for is not held for the series.
    pub const VINTAGE_NOT_HELD: &str = "VINTAGE_NOT_HELD";
    /// No bilateral figure for the pair from either side.
    pub const TRADE_DATA_NOT_HELD: &str = "TRADE_DATA_NOT_HELD";
    /// Neither a computed nor a quoted ranking, or the partner is not in it.
    pub const RANKING_NOT_HELD: &str = "RANKING_NOT_HELD";
    /// No product breakdown for the question.
    pub const PRODUCTS_NOT_HELD: &str = "PRODUCTS_NOT_HELD";
    /// A source name that is not a configured source.
    pub const UNKNOWN_SOURCE: &str = "UNKNOWN_SOURCE";
    /// No refresh run has the id asked for.
    pub const RUN_NOT_FOUND: &str = "RUN_NOT_FOUND";
    /// WatchChanges cannot resume from `after_seq`.
    pub const RESUME_POINT_UNAVAILABLE: &str = "RESUME_POINT_UNAVAILABLE";
    /// An admin call without `authorization: Bearer <token>`.
    pub const ADMIN_TOKEN_MISSING: &str = "ADMIN_TOKEN_MISSING";
    /// An admin call with a token that is not the admin token.
    pub const ADMIN_TOKEN_INVALID: &str = "ADMIN_TOKEN_INVALID";
    /// The server has no admin token, so admin calls are off.
    pub const ADMIN_DISABLED: &str = "ADMIN_DISABLED";
    /// A read replica never refreshes: refresh calls go to the writer.
    pub const READ_REPLICA: &str = "READ_REPLICA";
    /// The dataset is still loading at start-up; retry shortly.
    pub const STILL_LOADING: &str = "STILL_LOADING";
    /// A read replica is restoring its copy of the database afresh; retry
    /// shortly, or ask another replica.
    pub const REPLICA_RESTORING: &str = "REPLICA_RESTORING";
    /// The server is stopping; reconnect (to another replica).
    pub const SHUTTING_DOWN: &str = "SHUTTING_DOWN";
    /// Too many calls at once; retry with backoff.
    pub const OVERLOADED: &str = "OVERLOADED";
    /// The call took longer than the server allows.
    pub const TIMED_OUT: &str = "TIMED_OUT";
    /// The answer is larger than the server sends.
    pub const ANSWER_TOO_LARGE: &str = "ANSWER_TOO_LARGE";
    /// Something failed inside the server; it is logged.
    pub const INTERNAL: &str = "INTERNAL";
}

/// A status with `ErrorInfo { reason, DOMAIN, metadata }`.
pub fn status(code: Code, reason: &str, message: impl Into<String>) -> Status {
    with_metadata(code, reason, message, [])
}

/// [`status`] with metadata pairs in the `ErrorInfo`.
pub fn with_metadata<const N: usize>(
    code: Code,
    reason: &str,
    message: impl Into<String>,
    metadata: [(&str, String); N],
) -> Status {
    let details = ErrorDetails::with_error_info(reason, DOMAIN, metadata_map(metadata));
    Status::with_error_details(code, message, details)
}

/// INVALID_ARGUMENT for one field: the message starts with the field's name,
/// `BadRequest` holds it as a field violation.
pub fn invalid_field(field: &str, description: impl Into<String>) -> Status {
    invalid_field_with(field, description, reason::FIELD_INVALID)
}

/// [`invalid_field`] with another reason (UNKNOWN_SOURCE).
pub fn invalid_field_with(field: &str, description: impl Into<String>, why: &str) -> Status {
    let description = description.into();
    let mut details =
        ErrorDetails::with_error_info(why, DOMAIN, metadata_map([("field", field.to_owned())]));
    details.add_bad_request_violation(field, description.clone());
    Status::with_error_details(
        Code::InvalidArgument,
        format!("{field}: {description}"),
        details,
    )
}

/// NOT_FOUND with `ResourceInfo { resource_type, name }`.
pub fn not_found(why: &str, resource_type: &str, name: &str, message: impl Into<String>) -> Status {
    let message = message.into();
    let mut details = ErrorDetails::with_error_info(
        why,
        DOMAIN,
        metadata_map([
            ("resource_type", resource_type.to_owned()),
            ("name", name.to_owned()),
        ]),
    );
    details.set_resource_info(resource_type, name, "", message.clone());
    Status::with_error_details(Code::NotFound, message, details)
}

/// INTERNAL, with the detail logged and not sent.
pub fn internal(detail: impl std::fmt::Display) -> Status {
    tracing::error!(%detail, "internal error");
    status(
        Code::Internal,
        reason::INTERNAL,
        "internal error; the server logged it",
    )
}

/// A store failure as a client sees it: a read replica restoring its copy
/// is UNAVAILABLE, which clients retry (on another replica, with
/// round_robin); anything else is INTERNAL, with the detail only logged.
pub fn store_failure(context: &str, error: StoreError) -> Status {
    match error {
        StoreError::CopyRestoring { .. } => replica_restoring(),
        other => internal(format!("{context}: {other}")),
    }
}

fn replica_restoring() -> Status {
    status(
        Code::Unavailable,
        reason::REPLICA_RESTORING,
        "this read replica is restoring its copy of the data; retry shortly or ask another replica",
    )
}

fn metadata_map<const N: usize>(pairs: [(&str, String); N]) -> HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

impl From<QueryError> for Status {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::InvalidArgument { field, reason } => invalid_field(field, reason),
            QueryError::NotFound {
                missing,
                name,
                message,
            } => {
                let (why, resource_type) = match missing {
                    Missing::Agreement => (reason::AGREEMENT_NOT_FOUND, "tradepact.v1.Agreement"),
                    Missing::Indicator => (reason::INDICATOR_NOT_HELD, "indicator"),
                    Missing::Vintage => (reason::VINTAGE_NOT_HELD, "indicator vintage"),
                    Missing::TradeData => (reason::TRADE_DATA_NOT_HELD, "bilateral trade"),
                    Missing::Ranking => (reason::RANKING_NOT_HELD, "partner ranking"),
                    Missing::Products => (reason::PRODUCTS_NOT_HELD, "product breakdown"),
                };
                not_found(why, resource_type, &name, message)
            }
            QueryError::Store(detail) => internal(format!("the store could not answer: {detail}")),
            QueryError::CopyRestoring => replica_restoring(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_field_names_it_in_the_message_and_the_details() {
        let status = invalid_field("page_size", "-1 is negative");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "page_size: -1 is negative");
        let details = status.get_error_details();
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.reason, reason::FIELD_INVALID);
        assert_eq!(info.domain, DOMAIN);
        assert_eq!(
            info.metadata.get("field").map(String::as_str),
            Some("page_size")
        );
        let violations = &details.bad_request().expect("BadRequest").field_violations;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "page_size");
    }

    #[test]
    fn a_missing_agreement_is_a_resource_not_found() {
        let status = Status::from(QueryError::not_found(
            Missing::Agreement,
            "kor-xyz",
            "no agreement with id 'kor-xyz'",
        ));
        assert_eq!(status.code(), Code::NotFound);
        let details = status.get_error_details();
        assert_eq!(
            details.error_info().map(|i| i.reason.as_str()),
            Some(reason::AGREEMENT_NOT_FOUND)
        );
        assert_eq!(
            details.resource_info().map(|r| r.resource_name.as_str()),
            Some("kor-xyz")
        );
    }

    #[test]
    fn internal_errors_send_no_detail() {
        let status = internal("disk I/O error at /var/lib/secret.db");
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"));
    }

    #[test]
    fn a_replica_copy_being_restored_is_unavailable_and_other_store_failures_internal() {
        let restoring = StoreError::CopyRestoring {
            path: "/data/secret.db".into(),
        };
        for status in [
            store_failure("refresh API", restoring),
            Status::from(QueryError::CopyRestoring),
        ] {
            assert_eq!(status.code(), Code::Unavailable);
            assert!(!status.message().contains("secret"), "{status:?}");
            let info = status.get_error_details().error_info().cloned();
            assert_eq!(
                info.map(|info| info.reason),
                Some(reason::REPLICA_RESTORING.to_owned())
            );
        }
        let other = store_failure(
            "refresh API",
            StoreError::ReadReplica {
                path: "/data/secret.db".into(),
            },
        );
        assert_eq!(other.code(), Code::Internal);
        assert!(!other.message().contains("secret"));
    }
}
