//! `tradepact.v1.AgreementService`.

use tonic::{Request, Response, Status};

use crate::query::{self, GetAgreement, ListAgreements, ListRounds};

use super::answer::Question;
use super::service::agreement_service_server::AgreementService;
use super::{Api, Encoded, convert, enum_field, pb};

#[derive(Clone)]
pub struct AgreementApi(pub Api);

#[tonic::async_trait]
impl AgreementService for AgreementApi {
    async fn get_agreement(
        &self,
        request: Request<pb::GetAgreementRequest>,
    ) -> Result<Response<Encoded<pb::Agreement>>, Status> {
        let (question, request) = Question::of(request)?;
        let view: pb::AgreementView = enum_field("view", request.view)?;
        let full = convert::full_view(view, true);
        let query = GetAgreement {
            id: request.id.clone(),
            as_of: convert::date_parts(request.as_of),
        };
        self.0.answer_from_snapshot(
            question,
            |dataset| query::get_agreement(dataset, &query),
            |answer, _| convert::agreement(&answer, full),
        )
    }

    async fn list_agreements(
        &self,
        request: Request<pb::ListAgreementsRequest>,
    ) -> Result<Response<Encoded<pb::ListAgreementsResponse>>, Status> {
        let (question, request) = Question::of(request)?;
        let status: pb::AgreementStatus = enum_field("status", request.status)?;
        let view: pb::AgreementView = enum_field("view", request.view)?;
        let full = convert::full_view(view, false);
        let query = ListAgreements {
            party: request.party.clone(),
            status: convert::status_filter(status)?,
            as_of: convert::date_parts(request.as_of),
            page_size: request.page_size,
            page_token: request.page_token.clone(),
            query: request.query.clone(),
        };
        self.0.answer_from_snapshot(
            question,
            |dataset| query::list_agreements(dataset, &query),
            |page, _| pb::ListAgreementsResponse {
                agreements: page
                    .agreements
                    .iter()
                    .map(|answer| convert::agreement(answer, full))
                    .collect(),
                next_page_token: page.next_page_token.unwrap_or_default(),
                total_size: page.total as i32,
            },
        )
    }

    async fn list_negotiation_rounds(
        &self,
        request: Request<pb::ListNegotiationRoundsRequest>,
    ) -> Result<Response<Encoded<pb::ListNegotiationRoundsResponse>>, Status> {
        let (question, request) = Question::of(request)?;
        let query = ListRounds {
            agreement_id: request.agreement_id.clone(),
            page_size: request.page_size,
            page_token: request.page_token.clone(),
        };
        self.0.answer_from_snapshot(
            question,
            |dataset| query::negotiation_rounds(dataset, &query),
            |page, _| pb::ListNegotiationRoundsResponse {
                rounds: page.rounds.iter().map(convert::event).collect(),
                next_page_token: page.next_page_token.unwrap_or_default(),
                total_size: page.total as i32,
            },
        )
    }
}
