//! The supervisor's side of maintenance: it reads its printer's odometer at
//! start and after each attempt ends, tells the lifecycle whether the
//! printer is due (the rule is [`crate::domain::maintenance::assess`]), and
//! records a technician's confirmed service.

use super::{not_possible, Supervisor};
use crate::api::ControlError;
use crate::domain::maintenance::assess;
use crate::domain::Effect;
use crate::store::OdometerRecord;

impl Supervisor {
    /// Reads the odometer from the store; the effects of what it says. A
    /// failed read is logged and changes nothing (the next end of an
    /// attempt reads it again).
    pub(super) async fn refresh_maintenance(&mut self) -> Vec<Effect> {
        match self.parts.store.odometer(self.name()).await {
            Ok(record) => self.take_odometer(&record),
            Err(e) => {
                tracing::error!(printer = %self.name(), "cannot read the odometer: {e}");
                Vec::new()
            }
        }
    }

    /// Takes a reading of the odometer: the view shows it and the lifecycle
    /// learns whether the printer is due for service.
    fn take_odometer(&mut self, record: &OdometerRecord) -> Vec<Effect> {
        let thresholds = self.parts.profile.service;
        let verdict = assess(&thresholds, &record.odometer);
        if verdict.due && !self.life.service_due() {
            let reason = verdict.reason().unwrap_or_default();
            tracing::info!(printer = %self.name(), %reason, "due for service");
        }
        self.maintenance = super::super::view::maintenance(thresholds, record, &verdict);
        self.life.on_service_due(verdict.due)
    }

    /// A technician confirms a service (`by`: an API key id): recorded in
    /// the store, after which the printer takes work again.
    pub(super) async fn confirm_service(&mut self, by: Option<String>) -> Result<(), ControlError> {
        self.life.may_service().map_err(not_possible)?;
        let stored = self.parts.store.confirm_service(self.name(), by.as_deref());
        let record = stored.await.map_err(|e| {
            tracing::error!(printer = %self.name(), "cannot record the service: {e}");
            ControlError::Unavailable {
                reason: "the service could not be recorded".to_owned(),
            }
        })?;
        tracing::info!(printer = %self.name(), by = ?by, "service confirmed");
        let effects = self.take_odometer(&record);
        self.apply(effects).await;
        Ok(())
    }
}
