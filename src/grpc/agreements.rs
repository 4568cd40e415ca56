//! `tradepact.v1.AgreementService`.

use tonic::{Request, Response, Status};

use crate::query::{self, GetAgreement, ListAgreements};

use super::pb::agreement_service_server::AgreementService;
use super::{Api, convert, enum_field, pb};

#[derive(Clone)]
pub struct AgreementApi(pub Api);

#[tonic::async_trait]
impl AgreementService for AgreementApi {
    async fn get_agreement(
        &self,
        request: Request<pb::GetAgreementRequest>,
    ) -> Result<Response<pb::Agreement>, Status> {
        let request = request.into_inner();
        let query = GetAgreement {
            id: request.id,
            as_of: convert::date_parts(request.as_of),
        };
        self.0.answer(
            "GetAgreement",
            |dataset| query::get_agreement(dataset, &query),
            |view| convert::agreement(&view),
        )
    }

    async fn list_agreements(
        &self,
        request: Request<pb::ListAgreementsRequest>,
    ) -> Result<Response<pb::ListAgreementsResponse>, Status> {
        let request = request.into_inner();
        let status: pb::AgreementStatus = enum_field("status", request.status)?;
        let query = ListAgreements {
            party: request.party,
            status: convert::status_filter(status),
            as_of: convert::date_parts(request.as_of),
            page_size: request.page_size,
            page_token: request.page_token,
        };
        self.0.answer(
            "ListAgreements",
            |dataset| query::list_agreements(dataset, &query),
            |page| pb::ListAgreementsResponse {
                agreements: page.agreements.iter().map(convert::agreement).collect(),
                next_page_token: page.next_page_token.unwrap_or_default(),
            },
        )
    }

    async fn list_negotiation_rounds(
        &self,
        request: Request<pb::ListNegotiationRoundsRequest>,
    ) -> Result<Response<pb::ListNegotiationRoundsResponse>, Status> {
        let id = request.into_inner().agreement_id;
        self.0.answer(
            "ListNegotiationRounds",
            |dataset| query::negotiation_rounds(dataset, &id),
            |rounds| pb::ListNegotiationRoundsResponse {
                rounds: rounds.iter().map(convert::event).collect(),
            },
        )
    }
}
