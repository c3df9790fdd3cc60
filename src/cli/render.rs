//! `printfarm render`: renders one unit of a template product on this host,
//! for an operator trying a template, and shows what printfarm's analysis
//! and checks make of the result.
//!
//! The template comes from the farm's catalogue (`--sku`) or from a product
//! folder not yet loaded (`--product products/nametag`).

use crate::config::Config;
use crate::files::checks::violations_by_printer;
use crate::render::directory::read_folder;
use crate::render::pipeline::{self, UnitRequest};
use crate::render::tools::{self, Tools};
use crate::render::{bundle, font::Charset, spec::ProductSpec, Template};
use crate::store::{ProductKind, Store};
use anyhow::{bail, Context};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `printfarm render`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["sku", "product"])))]
pub struct Args {
    /// A product of the farm's catalogue (its current version).
    #[arg(long)]
    sku: Option<String>,
    /// A product folder (`spec.json`, `template.scad`, `profile*.ini`).
    #[arg(long)]
    product: Option<PathBuf>,
    /// A value for the unit, `name=value`; repeat for each parameter.
    #[arg(long = "set", value_parser = parse_set)]
    values: Vec<(String, String)>,
    /// The slicer profile (`default` or a printer tag); default: the first.
    #[arg(long)]
    profile: Option<String>,
    /// Where to write `<sku>.stl` and `<sku>.gcode`.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// The farm configuration (printers' beds and checks, the database).
    #[arg(long, default_value = "printers.toml")]
    config: PathBuf,
}

fn parse_set(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not name=value"))
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(render(args))
}

async fn render(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let tools = Tools::detect().await;
    if let Some(why) = tools.unavailable() {
        bail!("cannot render: {why}");
    }
    let scratch = tempfile::tempdir().context("creating a work directory")?;
    let template = match (&args.sku, &args.product) {
        (Some(sku), _) => from_catalogue(&config, sku).await?,
        (None, Some(dir)) => from_folder(dir, scratch.path()).await?,
        (None, None) => bail!("give --sku or --product"),
    };
    let given: Map<String, Value> = args
        .values
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let values = template
        .spec
        .unit_values(&given, template.charset.as_ref())
        .map_err(|r| anyhow::anyhow!("--set {}: {}", r.name, r.reason))?;
    let profile = match &args.profile {
        Some(name) => template.profiles.iter().find(|p| &p.name == name),
        None => template.profiles.first(),
    }
    .with_context(|| format!("{} has no profile {:?}", template.sku, args.profile))?;
    let request = UnitRequest {
        bundle: template.bundle_dir.clone(),
        parameters: template.parameter_kinds(&values),
        values,
        profile: profile.path(&template.bundle_dir),
        beds: config.printers.iter().map(|p| p.build_volume).collect(),
        timeout: Duration::from_secs(template.spec.render_timeout_s.unwrap_or(120)),
    };
    let work = scratch.path().join("work");
    std::fs::create_dir_all(&work)?;
    let nonce = crate::store::new_id();
    let started = std::time::Instant::now();
    let rendered = match pipeline::render(&tools, &request, &work, &nonce).await {
        Ok(rendered) => rendered,
        Err(failure) => {
            eprintln!(
                "render failed ({}): {}",
                if failure.permanent {
                    "permanent"
                } else {
                    "may pass another time"
                },
                failure.reason
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let took = started.elapsed();
    let (stl, gcode) = keep(&args.out, &template.sku, &rendered.stl, &rendered.gcode)?;
    let analysis = crate::files::analyse(gcode.clone()).await?;
    let size = rendered.bounds.size();
    println!(
        "rendered in {:.1} s: {} ({:.1} × {:.1} × {:.1} mm), {}",
        took.as_secs_f64(),
        stl.display(),
        size[0],
        size[1],
        size[2],
        gcode.display()
    );
    println!(
        "analysis: {:.0} s, {:.0} mm of filament, {} layers",
        analysis.estimated_time_s,
        analysis.filament_mm.iter().sum::<f64>(),
        analysis.layers
    );
    for (printer, violations) in violations_by_printer(&analysis, &config) {
        match violations.first() {
            None => println!("  {printer}: ok"),
            Some(v) => println!(
                "  {printer}: {} problem(s), first: line {}: {}",
                violations.len(),
                v.line,
                v.reason
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn keep(out: &Path, sku: &str, stl: &Path, gcode: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let (stl_out, gcode_out) = (
        out.join(format!("{sku}.stl")),
        out.join(format!("{sku}.gcode")),
    );
    std::fs::copy(stl, &stl_out).with_context(|| format!("writing {}", stl_out.display()))?;
    std::fs::copy(gcode, &gcode_out).with_context(|| format!("writing {}", gcode_out.display()))?;
    Ok((stl_out, gcode_out))
}

async fn from_catalogue(config: &Config, sku: &str) -> anyhow::Result<Template> {
    let store = Store::connect(&config.farm.database_url)
        .await
        .context("opening the database")?;
    let record = store
        .latest_product(sku)
        .await
        .with_context(|| format!("product {sku}"))?;
    store.close().await;
    if let ProductKind::File { .. } = record.kind {
        bail!("{sku} is a fixed G-code product: there is nothing to render");
    }
    Template::from_record(&record)
        .map_err(anyhow::Error::msg)?
        .with_context(|| format!("{sku} is not a template"))
}

async fn from_folder(dir: &Path, scratch: &Path) -> anyhow::Result<Template> {
    let folder = read_folder(dir).map_err(anyhow::Error::msg)?;
    let spec: ProductSpec = serde_json::from_value(folder.spec)
        .with_context(|| format!("{}/spec.json", dir.display()))?;
    spec.check()
        .with_context(|| format!("{}/spec.json", dir.display()))?;
    let written = bundle::write(scratch, &folder.parts).context("writing the bundle")?;
    let charset = match &spec.font {
        Some(font) => {
            let (_, text) = tools::font_charset(font)
                .await
                .map_err(anyhow::Error::msg)?;
            Charset::parse(&text)
        }
        None => None,
    };
    Ok(Template {
        sku: folder.sku,
        version: 0,
        spec,
        bundle_dir: written.dir,
        bundle_sha256: written.sha256,
        profiles: written.profiles,
        charset,
    })
}
