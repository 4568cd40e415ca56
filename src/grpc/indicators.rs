//! `tradepact.v1.IndicatorService`.

use tonic::{Request, Response, Status};

use crate::query::{self, IndicatorQuery};

use super::answer::Question;
use super::google_type::Date;
use super::service::indicator_service_server::IndicatorService;
use super::{Api, Encoded, convert, errors, pb};

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
            vintage: vintage_text(request.vintage)?,
        };
        self.0.answer_from_snapshot(
            question,
            |dataset| query::indicator_series(dataset, &query),
            |answer, sources| pb::GetIndicatorSeriesResponse {
                freshness: convert::freshness(sources, &["worldbank"]),
                name: answer.name,
                unit: answer.unit,
                points: answer
                    .points
                    .iter()
                    .map(|point| pb::IndicatorPoint {
                        year: point.year,
                        value: point.value,
                        vintage: convert::day(&point.vintage),
                        sources: convert::sources(&point.sources),
                    })
                    .collect(),
                vintages: answer
                    .vintages
                    .iter()
                    .filter_map(|vintage| convert::day(vintage))
                    .collect(),
            },
        )
    }
}

/// The vintage as the store names it ("2024-06-28"); empty when unset. A
/// vintage is a release day, so only a full date names one.
fn vintage_text(vintage: Option<Date>) -> Result<String, Status> {
    match vintage {
        None => Ok(String::new()),
        Some(Date { year, month, day }) if month > 0 && day > 0 => {
            Ok(format!("{year:04}-{month:02}-{day:02}"))
        }
        Some(_) => Err(errors::invalid_field(
            "vintage",
            "must be a full date (year, month and day), as listed in `vintages`",
        )),
    }
}
