//! `pace k8s PLAN --shards N`: Kubernetes manifests for a sharded run.

use super::exit;
use crate::k8s::{self, Manifest, Options, ScriptFile};
use crate::plan::file::PlanFile;
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const AFTER_HELP: &str = "\
Writes one YAML with a ConfigMap (the plan byte for byte, and the scripts of
script groups) and an Indexed Job: pod I runs `pace run --shards N` as shard I
(JOB_COMPLETION_INDEX), every pod waits for PACE_START_AT, no pod is retried
(a retried shard would count its share twice). Collect each pod's results
folder and join them with `pace merge`: docs/distributed.md walks the flow.

Examples:
  pace k8s plan.toml --shards 4 > job.yaml
  pace k8s plan.toml --shards 8 --image registry.example/pace:0.1 --spread \\
      --results-pvc pace-results --start-in 2m -o job.yaml";

#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct K8sArgs {
    /// The plan file (or a directory holding plan.toml).
    plan: PathBuf,
    /// How many shards (pods) to split the plan into.
    #[arg(long)]
    shards: u64,
    /// The pace image the pods run (build it from the Containerfile).
    #[arg(long, default_value = k8s::DEFAULT_IMAGE)]
    image: String,
    /// When the shards start, from now: every pod prepares and waits for
    /// this absolute time (PACE_START_AT); a pod not ready by then exits 5
    /// and the merged verdict is INCOMPLETE. It must cover scheduling and
    /// the image pull of every pod.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    start_in: String,
    /// The namespace of the ConfigMap and the Job [default: kubectl's].
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
    /// The name of the ConfigMap and the Job [default: pace-PLANNAME].
    #[arg(long)]
    name: Option<String>,
    /// At most one shard per node (a required pod anti-affinity over
    /// kubernetes.io/hostname): the Job needs N schedulable nodes.
    #[arg(long)]
    spread: bool,
    /// Mount this PersistentVolumeClaim at /results (ReadWriteMany when the
    /// pods may land on several nodes): every shard's folder lands there
    /// [default: an emptyDir per pod, fetched with kubectl cp].
    #[arg(long, value_name = "CLAIM")]
    results_pvc: Option<String>,
    /// How long a pod stays up after its shard ends, so that `kubectl cp`
    /// can fetch its results [default: 10m with an emptyDir, 0 with
    /// --results-pvc].
    #[arg(long, value_name = "DURATION")]
    collect_for: Option<String>,
    /// Set an environment variable in the pods (the plan's ${VAR}s: the
    /// pods do not see this shell's environment); repeatable.
    #[arg(long, short = 'e', value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// The seed every shard runs with (`pace merge` refuses shards whose
    /// seeds differ) [default: the plan's run.seed, else a random one
    /// drawn now and written into the manifest].
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Write the YAML here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Overwrite the -o file if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(a: K8sArgs) -> i32 {
    match write(a) {
        Ok(()) => exit::OK,
        Err(e) => {
            errln!("{e}");
            exit::BAD_INPUT
        }
    }
}

fn write(a: K8sArgs) -> Result<(), String> {
    let (plan, text, file) = super::finish::load_plan(&a.plan)?;
    let o = options(&a, plan.run.seed)?;
    k8s::check_vars(&plan, &text, &o.env)?;
    pods_accept(&plan, &text, &file, &o)?;
    let scripts = read_scripts(&plan, &file)?;
    let m = k8s::manifest(&plan, &text, &scripts, &o)?;
    let yaml = m
        .to_yaml()
        .map_err(|e| format!("error: cannot write YAML: {e}"))?;
    match &a.output {
        Some(path) => {
            if path.exists() && !a.force {
                return Err(format!(
                    "error: -o {}: the file exists; pass --force to overwrite it",
                    path.display()
                ));
            }
            std::fs::write(path, &yaml).map_err(|e| {
                let e = crate::input::plain(&e);
                format!("error: -o {}: cannot write: {e}", path.display())
            })?;
        }
        None => out!("{yaml}"),
    }
    warnings(&plan, &o);
    crowded(&o, &m);
    next_steps(&a, &o, &m);
    Ok(())
}

/// Under this `--start-in`, a warning: scheduling and pulling the image on
/// every node take seconds.
const SHORT_START_S: f64 = 10.0;

/// The flags, checked; the start time read from the clock; the seed from
/// `--seed`, else `plan_seed`, else drawn now.
fn options(a: &K8sArgs, plan_seed: Option<u64>) -> Result<Options, String> {
    if a.shards == 0 || a.shards > k8s::MAX_SHARDS {
        return Err(format!(
            "error: --shards {}: must be 1 to {} (the pods of one Indexed Job)",
            a.shards,
            k8s::MAX_SHARDS
        ));
    }
    let image = a.image.trim();
    if image.is_empty() || image.chars().any(char::is_whitespace) {
        return Err(format!(
            "error: --image {:?}: must be an image reference without spaces",
            a.image
        ));
    }
    let start_in = crate::units::parse_positive_duration(&a.start_in)
        .map_err(|e| format!("error: --start-in: {e}"))?;
    if start_in > 86_400.0 {
        return Err(format!(
            "error: --start-in {}: more than a day ahead",
            a.start_in
        ));
    }
    if let Some(ns) = &a.namespace {
        k8s::check_dns_label("--namespace", ns, 63)?;
    }
    let name = match &a.name {
        Some(n) => {
            k8s::check_dns_label("--name", n, k8s::MAX_NAME)?;
            n.clone()
        }
        None => {
            let stem = a
                .plan
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A project folder's plan is its plan.toml: name it by the folder.
            let stem = if a.plan.is_dir() || stem == "plan" {
                std::path::absolute(&a.plan)
                    .ok()
                    .and_then(|p| {
                        let p = if a.plan.is_dir() {
                            p
                        } else {
                            p.parent()?.to_path_buf()
                        };
                        p.file_name().map(|s| s.to_string_lossy().into_owned())
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or(stem)
            } else {
                stem
            };
            k8s::default_name(&stem)
        }
    };
    if let Some(claim) = &a.results_pvc {
        k8s::check_dns_subdomain("--results-pvc", claim)?;
    }
    let collect_for = match &a.collect_for {
        Some(d) => {
            crate::units::parse_duration(d).map_err(|e| format!("error: --collect-for: {e}"))?
        }
        None if a.results_pvc.is_some() => 0.0,
        None => 600.0,
    };
    if collect_for == 0.0 && a.results_pvc.is_none() {
        return Err(format!(
            "error: --collect-for {}: each pod's results are in an emptyDir that goes with the pod: keep it up to copy them, or pass --results-pvc",
            a.collect_for.as_deref().unwrap_or_default()
        ));
    }
    if collect_for > 86_400.0 {
        return Err(format!(
            "error: --collect-for {}: more than a day",
            a.collect_for.as_deref().unwrap_or_default()
        ));
    }
    let mut env = Vec::new();
    for e in &a.env {
        let (k, v) = e.split_once('=').ok_or_else(|| {
            format!(
                "error: --env {}: must be NAME=VALUE",
                crate::visible::quoted(e)
            )
        })?;
        let ok = !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok || k8s::POD_VARS.contains(&k) {
            return Err(format!(
                "error: --env {e:?}: the name must be letters, digits and _ (not starting with a digit), and not one pace k8s sets"
            ));
        }
        env.push((k.to_string(), v.to_string()));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Whole seconds, rounded up: RFC 3339 without fractions reads anywhere.
    let at = UNIX_EPOCH + Duration::from_secs((now.as_secs_f64() + start_in).ceil() as u64);
    let start_at = humantime::format_rfc3339_seconds(at).to_string();
    let run = format!(
        "{name}-{}",
        start_at
            .replace(['-', ':'], "")
            .replace('T', "t")
            .replace('Z', "z")
    );
    Ok(Options {
        shards: a.shards,
        image: image.to_string(),
        start_at,
        start_in,
        namespace: a.namespace.clone(),
        name,
        run,
        spread: a.spread,
        results_pvc: a.results_pvc.clone(),
        collect_for,
        env,
        seed: a.seed.or(plan_seed).unwrap_or_else(rand::random),
    })
}

/// Refuses what the pods' own `pace run` would refuse, with its line: the
/// run's checks before traffic ([`run_checks::before_traffic`]), run here
/// as the last shard's pod runs them (the fewest users of any shard: a
/// shard with no part is the last one first), with the pod's variables
/// only (the `-e` values, its index and its start), never this shell's.
/// Errors about the shard name `--shards` first.
fn pods_accept(plan: &PlanFile, text: &str, file: &Path, o: &Options) -> Result<(), String> {
    use super::run_cmd::{Sharding, run_checks};
    let n =
        u32::try_from(o.shards).map_err(|_| format!("error: --shards {}: too many", o.shards))?;
    let last = crate::plan::segment::Shard::new(n - 1, n)
        .map_err(|e| format!("error: --shards {n}: {e}"))?;
    let start = humantime::parse_rfc3339(&o.start_at)
        .map_err(|e| format!("error: --start-in: {}: {e}", o.start_at))?;
    let split = Sharding {
        shard: Some(last),
        start_at: Some((start, o.start_at.clone())),
    };
    let mut vars = o.env.clone();
    vars.push((k8s::POD_VARS[0].into(), last.index.to_string()));
    vars.push((k8s::POD_VARS[1].into(), o.start_at.clone()));
    let plan_dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let at = |key: &str| {
        format!(
            "{}:{}",
            file.display(),
            crate::plan::check::line_of_key(text, key)
        )
    };
    let written = plan.fit();
    let setup = run_checks::Setup {
        plan,
        file,
        text,
        plan_dir: &plan_dir,
        split: &split,
        seed: Some(o.seed),
        vars: &vars,
        remote: true,
        written_fit: &written,
        overrides: None,
        check: false,
    };
    match run_checks::before_traffic(&setup, &at) {
        Ok(_) => Ok(()),
        // The pod's `--shard I/N` is this command's `--shards N`.
        Err(line) => Err(match line.strip_prefix("error: --shard") {
            Some(rest) => format!(
                "error: --shards {n}: the pod of shard {} would refuse to run: --shard{rest}",
                last.index
            ),
            None => line,
        }),
    }
}

/// Every script group's script and every group's test data, read from
/// beside the plan: the pods read them from the ConfigMap, at the same
/// relative paths.
fn read_scripts(plan: &PlanFile, file: &Path) -> Result<Vec<ScriptFile>, String> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut out: Vec<ScriptFile> = Vec::new();
    for g in &plan.groups {
        let files = [
            ("script", g.script.as_ref()),
            ("data file", g.data.as_ref().map(|d| &d.0.file)),
        ];
        for (what, name) in files {
            let Some(name) = name else { continue };
            if out.iter().any(|s| s.path == *name) {
                continue;
            }
            let path = dir.join(name);
            let text = crate::input::read_text(&path).map_err(|e| {
                format!(
                    "error: group '{}': {what} {}: cannot read it: {}",
                    g.name,
                    path.display(),
                    crate::input::plain(&e)
                )
            })?;
            out.push(ScriptFile {
                path: name.clone(),
                text,
            });
        }
    }
    Ok(out)
}

/// What the pods cannot have from this machine.
fn warnings(plan: &PlanFile, o: &Options) {
    if o.start_in < SHORT_START_S {
        errln!(
            "warning: --start-in {}: it must cover scheduling and the image pull of every pod; a pod not ready by then exits 5",
            crate::units::format_duration(o.start_in)
        );
    }
    for g in &plan.groups {
        if g.worker.is_some() {
            errln!(
                "warning: group '{}' runs its own worker command: the files it needs must be in the image ({})",
                g.name,
                o.image
            );
        }
    }
    if plan.run.post_run.is_some() {
        errln!(
            "warning: run.post_run runs in each pod, on that shard's results; `pace merge` runs no hook: run it yourself on the merged folder"
        );
    }
}

/// One pod's CPU request past which the plan wants more shards: a load
/// generator short of CPU starts its iterations late.
const CROWDED_MILLI: u64 = 2000;

/// Says how many shards keep each pod under [`CROWDED_MILLI`].
fn crowded(o: &Options, m: &Manifest) {
    let cpu = m.size.cpu_request_milli;
    if cpu > CROWDED_MILLI {
        let more = (o.shards as f64 * cpu as f64 / CROWDED_MILLI as f64).ceil() as u64;
        errln!(
            "warning: each shard asks for {cpu}m CPU for its share of the plan's rate: --shards {more} keeps a pod under {CROWDED_MILLI}m"
        );
    }
}

/// The steps after the YAML, on stderr (stdout may be the YAML).
fn next_steps(a: &K8sArgs, o: &Options, m: &Manifest) {
    let ns = o
        .namespace
        .as_ref()
        .map(|n| format!(" -n {n}"))
        .unwrap_or_default();
    let size = &m.size;
    let rate = size
        .tps
        .map(|t| format!("{} TPS", crate::units::round_sig(t, 3)))
        .unwrap_or_else(|| "a rate the plan does not set".into());
    errln!(
        "pace k8s: {} shards of {}, seed {}, start at {} (in {}); each pod asks for {}m CPU and {} MiB (heaviest shard: {} users, {rate}); deadline {} s",
        o.shards,
        a.plan.display(),
        o.seed,
        o.start_at,
        crate::units::format_duration(o.start_in),
        size.cpu_request_milli,
        size.memory_request_mib,
        size.http_users + size.script_users,
        m.deadline_s
    );
    errln!("next:");
    match &a.output {
        Some(p) => errln!(
            "  kubectl{ns} apply -f {}     (before {})",
            p.display(),
            o.start_at
        ),
        None => errln!(
            "  kubectl{ns} apply -f job.yaml     (the file you saved the YAML to, e.g. `pace k8s ... > job.yaml`; before {})",
            o.start_at
        ),
    }
    let dir = k8s::shard_results_dir(&o.run, "I");
    if let Some(claim) = &o.results_pvc {
        // `wait --for=condition=complete` alone never returns once a shard
        // has failed (the Job is then Failed, never Complete).
        let job = format!("job/{}", o.name);
        let t = m.deadline_s;
        errln!(
            "  kubectl{ns} wait --for=condition=complete --timeout={t}s {job} & kubectl{ns} wait --for=condition=failed --timeout={t}s {job} & wait -n     (or watch `kubectl{ns} get {job}`)"
        );
        errln!(
            "  copy {}/{}/ off the claim {claim} (every shard's folder is {dir}/)",
            k8s::RESULTS_DIR,
            o.run
        );
    } else {
        errln!(
            "  kubectl{ns} logs -f -l app.kubernetes.io/instance={} --prefix --max-log-requests {}     (until every shard says it exited)",
            o.run,
            o.shards.max(5)
        );
        errln!(
            "  for each shard I: kubectl{ns} cp POD:{dir} {}/shard-I     (within {} of its end)",
            o.run,
            crate::units::format_duration(o.collect_for)
        );
        // The job-completion-index label exists from Kubernetes 1.28; the
        // annotation of the same name from 1.21.
        errln!(
            "  POD of shard I: kubectl{ns} get pods -l app.kubernetes.io/instance={} -o custom-columns='POD:.metadata.name,I:.metadata.annotations.batch\\.kubernetes\\.io/job-completion-index'     (the label batch.kubernetes.io/job-completion-index exists from Kubernetes 1.28)",
            o.run
        );
    }
    errln!("  pace merge {}/shard-*/* -o {}-merged", o.run, o.run);
    errln!("  open {}-merged/report.html", o.run);
}
