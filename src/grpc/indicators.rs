//! `tradepact.v1.IndicatorService`.

use tonic::{Request, Response, Status};

use crate::query::{self, IndicatorQuery};

use super::answer::Question;
use super::service::indicator_service_server::IndicatorService;
use super::{Api, Encoded, convert, pb};

#[derive(Clone)]
pub struct IndicatorApi(pub Api);

#[tonic::async_trait]
impl IndicatorService for IndicatorApi {
    async fn get_indicator_series(
        &self,
        request: Request<pb::GetIndicatorSeriesRequest>,
    ) -> Result<Response<Encoded<pb::GetIndicatorSeriesResponse>>, Status> {
        let (question, request) = Question::of(request)?;
        let query = IndicatorQuery {
            economy: request.economy.clone(),
            indicator: request.indicator.clone(),
            start_year: request.start_year,
            end_year: request.end_year,
            vintage: request.vintage.clone(),
        };
        self.0.answer_from_snapshot(
            question,
            |dataset| query::indicator_series(dataset, &query),
            |answer| pb::GetIndicatorSeriesResponse {
                name: answer.name,
                unit: answer.unit,
                points: answer
                    .points
                    .iter()
                    .map(|point| pb::IndicatorPoint {
                        year: point.year,
                        value: point.value,
                        vintage: point.vintage.clone(),
                        sources: convert::sources(&point.sources),
                    })
                    .collect(),
                vintages: answer.vintages,
            },
        )
    }
}
