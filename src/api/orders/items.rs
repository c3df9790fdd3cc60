//! One order line resolved: an uploaded file, a fixed product, or a
//! template product whose units each get their values checked and their
//! render named.

use super::super::error::ApiError;
use super::super::feasibility::{ensure_printable, Wanted};
use super::super::AppState;
use super::CreateOrderItem;
use crate::api::auth::Caller;
use crate::domain::catalogue;
use crate::render::bundle;
use crate::render::spec::ProductSpec;
use crate::render::Template;
use crate::store::{FileKeys, NewOrderItem, NewUnit, ProductKind, ProductRecord};
use serde_json::{Map, Value};

/// Resolves line `index` of an order.
pub(super) async fn checked(
    state: &AppState,
    caller: &Caller,
    index: usize,
    item: CreateOrderItem,
) -> Result<NewOrderItem, ApiError> {
    let prefix = format!("items[{index}].");
    match (item.file_id.clone(), item.sku.clone()) {
        (Some(file_id), None) => file_line(state, caller, &prefix, &file_id, item).await,
        (None, Some(sku)) => product_line(state, &prefix, &sku, item).await,
        _ => Err(ApiError::unprocessable(
            &format!("{prefix}file_id"),
            "give exactly one of file_id or sku",
        )),
    }
}

fn plain_units(item: &CreateOrderItem) -> Vec<NewUnit> {
    catalogue::per_unit(item.personalisation.as_ref(), item.quantity as usize)
        .into_iter()
        .map(|personalisation| NewUnit {
            personalisation,
            render: None,
        })
        .collect()
}

async fn file_line(
    state: &AppState,
    caller: &Caller,
    prefix: &str,
    file_id: &str,
    item: CreateOrderItem,
) -> Result<NewOrderItem, ApiError> {
    let field = format!("{prefix}file_id");
    let file = super::super::files::usable_file(state, caller, file_id, &field).await?;
    let wanted = Wanted {
        material: item.material.as_deref(),
        colour: item.colour.as_deref(),
        tags: &[],
    };
    ensure_printable(state, &file.keys, wanted, prefix).await?;
    Ok(NewOrderItem {
        file_id: Some(file.id),
        product: None,
        units: plain_units(&item),
        personalisation: item.personalisation,
        material: item.material,
        colour: item.colour,
        required_tags: Vec::new(),
    })
}

/// The live product of `sku`, or 404/422 naming the field.
async fn live_product(
    state: &AppState,
    prefix: &str,
    sku: &str,
) -> Result<ProductRecord, ApiError> {
    let field = format!("{prefix}sku");
    let record = state
        .store
        .latest_product(sku)
        .await
        .map_err(|e| ApiError::from_store(e, &field))?;
    if record.retired_at.is_some() {
        return Err(ApiError::unprocessable(
            &field,
            format!("product {sku:?} is retired"),
        ));
    }
    Ok(record)
}

async fn product_line(
    state: &AppState,
    prefix: &str,
    sku: &str,
    item: CreateOrderItem,
) -> Result<NewOrderItem, ApiError> {
    let record = live_product(state, prefix, sku).await?;
    let spec: ProductSpec = serde_json::from_value(record.spec.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored spec of {sku}: {e}")))?;
    let material = catalogue::requirement(item.material.as_deref(), spec.material.as_deref());
    let colour = catalogue::requirement(item.colour.as_deref(), spec.colour.as_deref());
    let mut line = NewOrderItem {
        file_id: None,
        product: Some((record.sku.clone(), record.version)),
        units: Vec::new(),
        personalisation: item.personalisation.clone(),
        material,
        colour,
        required_tags: spec.tags.clone(),
    };
    let template =
        Template::from_record(&record).map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    match (&record.kind, template) {
        (ProductKind::File { file_id }, _) => {
            let file = state.store.get_file(file_id).await?;
            ensure_printable(state, &file.keys, wanted(&line), prefix).await?;
            line.file_id = Some(file.id);
            line.units = fixed_units(&spec, prefix, &item)?;
        }
        (ProductKind::Template { .. }, Some(template)) => {
            line.units = rendered_units(state, prefix, &template, &mut line, &item).await?;
        }
        (ProductKind::Template { .. }, None) => {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "product {sku} has no template"
            )));
        }
    }
    Ok(line)
}

fn wanted(line: &NewOrderItem) -> Wanted<'_> {
    Wanted {
        material: line.material.as_deref(),
        colour: line.colour.as_deref(),
        tags: &line.required_tags,
    }
}

/// One unit's field name (`items[i].personalisation[u]`), its
/// personalisation as given, and its values.
type UnitGiven = (String, Option<Value>, Map<String, Value>);

/// Each unit's values: one object per unit, or one for all.
fn unit_values(prefix: &str, item: &CreateOrderItem) -> Result<Vec<UnitGiven>, ApiError> {
    if let Some(Value::Array(values)) = &item.personalisation {
        if values.len() != item.quantity as usize {
            let why = format!(
                "has {} entries for {} units: give one object per unit, or one object for all",
                values.len(),
                item.quantity
            );
            return Err(ApiError::unprocessable(
                &format!("{prefix}personalisation"),
                why,
            ));
        }
    }
    let per_unit = catalogue::per_unit(item.personalisation.as_ref(), item.quantity as usize);
    let mut out = Vec::with_capacity(per_unit.len());
    for (u, given) in per_unit.into_iter().enumerate() {
        let field = format!("{prefix}personalisation[{u}]");
        let values = match &given {
            None => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => {
                let why = "must be an object of parameter values";
                return Err(ApiError::unprocessable(&field, why));
            }
        };
        out.push((field, given, values));
    }
    Ok(out)
}

/// A fixed file's units; when its spec lists parameters, each unit's
/// values are checked against them (the file is the same for all).
fn fixed_units(
    spec: &ProductSpec,
    prefix: &str,
    item: &CreateOrderItem,
) -> Result<Vec<NewUnit>, ApiError> {
    if spec.parameters.is_empty() {
        return Ok(plain_units(item));
    }
    let mut units = Vec::with_capacity(item.quantity as usize);
    for (field, given, values) in unit_values(prefix, item)? {
        spec.unit_values(&values, None).map_err(|refusal| {
            ApiError::unprocessable(&format!("{field}.{}", refusal.name), refusal.reason)
        })?;
        units.push(NewUnit {
            personalisation: given,
            render: None,
        });
    }
    Ok(units)
}

/// Checks each unit's values and names its render.
async fn rendered_units(
    state: &AppState,
    prefix: &str,
    template: &Template,
    line: &mut NewOrderItem,
    item: &CreateOrderItem,
) -> Result<Vec<NewUnit>, ApiError> {
    if let Some(why) = state.tools.unavailable() {
        return Err(ApiError::Unavailable(format!(
            "{} cannot be rendered: {why}",
            template.sku
        )));
    }
    let printer_tags: Vec<Vec<String>> = state
        .config
        .printers
        .iter()
        .map(|p| p.tags.clone())
        .collect();
    let profile = bundle::choose(&template.profiles, &printer_tags).ok_or_else(|| {
        let why = "no printer carries the tag of any of the product's slicer profiles";
        ApiError::unprocessable(&format!("{prefix}sku"), why)
    })?;
    if let Some(tag) = &profile.tag {
        line.required_tags = catalogue::tags(&line.required_tags, std::slice::from_ref(tag));
    }
    ensure_printable(state, &FileKeys::default(), wanted(line), prefix).await?;
    let mut units = Vec::with_capacity(item.quantity as usize);
    for (field, given, values) in unit_values(prefix, item)? {
        let render = template
            .plan_unit(&values, profile, &state.tools)
            .map_err(|refusal| {
                ApiError::unprocessable(&format!("{field}.{}", refusal.name), refusal.reason)
            })?;
        units.push(NewUnit {
            personalisation: given,
            render: Some(render),
        });
    }
    Ok(units)
}
