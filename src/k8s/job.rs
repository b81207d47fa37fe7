//! The Indexed Job of a sharded run.

use super::{Options, PLAN_DIR, PlanFiles, RESULTS_DIR, ShardSize, labels, shard_results_dir};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, KeyToPath, ObjectFieldSelector, PersistentVolumeClaimVolumeSource,
    PodAffinityTerm, PodAntiAffinity, PodSecurityContext, PodSpec, PodTemplateSpec,
    ResourceRequirements, SeccompProfile, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use std::collections::BTreeMap;

/// The user and group of the Containerfile's image: numeric, so that
/// `runAsNonRoot` can be checked by the kubelet.
const IMAGE_UID: i64 = 10001;

/// The Job: N indexed pods, each running its shard at `PACE_START_AT`.
pub(super) fn job(o: &Options, files: &PlanFiles, size: &ShardSize, deadline_s: i64) -> Job {
    let n = o.shards as i32;
    let affinity = o.spread.then(|| Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                label_selector: Some(LabelSelector {
                    match_labels: Some(labels(&o.run)),
                    ..Default::default()
                }),
                topology_key: "kubernetes.io/hostname".into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
    let results = match &o.results_pvc {
        Some(claim) => Volume {
            name: "results".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        None => Volume {
            name: "results".into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        },
    };
    let plan = Volume {
        name: "plan".into(),
        config_map: Some(ConfigMapVolumeSource {
            name: o.name.clone(),
            items: Some(
                files
                    .items
                    .iter()
                    .map(|(key, path)| KeyToPath {
                        key: key.clone(),
                        path: path.clone(),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    };
    Job {
        metadata: ObjectMeta {
            name: Some(o.name.clone()),
            namespace: o.namespace.clone(),
            labels: Some(labels(&o.run)),
            annotations: Some(BTreeMap::from([(
                "pace/start-at".to_string(),
                o.start_at.clone(),
            )])),
            ..Default::default()
        },
        spec: Some(JobSpec {
            completion_mode: Some("Indexed".into()),
            completions: Some(n),
            parallelism: Some(n),
            backoff_limit: Some(0),
            active_deadline_seconds: Some(deadline_s),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(&o.run)),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    affinity,
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        fs_group: Some(IMAGE_UID),
                        ..Default::default()
                    }),
                    containers: vec![container(o, size)],
                    volumes: Some(vec![plan, results]),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn container(o: &Options, size: &ShardSize) -> Container {
    // `$(JOB_COMPLETION_INDEX)` is expanded by the kubelet from the env
    // below: every shard gets its own folder, also on a shared claim.
    let args: Vec<String> = [
        "run",
        &format!("{PLAN_DIR}/plan.toml"),
        "--shards",
        &o.shards.to_string(),
        "--seed",
        &o.seed.to_string(),
        "--results-dir",
        &shard_results_dir(&o.run, "$(JOB_COMPLETION_INDEX)"),
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // An emptyDir goes with its pod, and `kubectl cp` needs a running
    // container: the pod waits, keeping the shard's exit code.
    let command = (o.collect_for > 0.0).then(|| {
        let done = shard_results_dir(&o.run, "$JOB_COMPLETION_INDEX");
        vec![
            "/bin/sh".into(),
            "-c".into(),
            format!(
                "mkdir -p {RESULTS_DIR}/{run}; pace \"$@\"; rc=$?; echo $rc > {done}.exit; echo \"pace k8s: shard $JOB_COMPLETION_INDEX exited $rc; its results stay in {done} for {}s\"; sleep {}; exit $rc",
                o.collect_for.ceil() as u64,
                o.collect_for.ceil() as u64,
                run = o.run,
            ),
            "pace".into(),
        ]
    });
    let mut env = vec![
        EnvVar {
            name: "PACE_START_AT".into(),
            value: Some(o.start_at.clone()),
            ..Default::default()
        },
        // The control plane sets it too; declared here so that the
        // `$(JOB_COMPLETION_INDEX)` of the args is expanded (the downward
        // API, as Kubernetes' Indexed Job example does).
        EnvVar {
            name: "JOB_COMPLETION_INDEX".into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "metadata.annotations['batch.kubernetes.io/job-completion-index']"
                        .into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
    ];
    // Kubernetes expands `$(NAME)` in a value and reads `$$` as `$`
    // (EnvVar.value's API documentation): each `$` doubled, the pod sees
    // exactly what -e gave.
    env.extend(o.env.iter().map(|(k, v)| EnvVar {
        name: k.clone(),
        value: Some(escape_expansion(v)),
        ..Default::default()
    }));
    let q = |cpu: u64, mib: u64| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity(format!("{cpu}m"))),
            ("memory".to_string(), Quantity(format!("{mib}Mi"))),
        ])
    };
    Container {
        name: "pace".into(),
        image: Some(o.image.clone()),
        command,
        args: Some(args),
        env: Some(env),
        resources: Some(ResourceRequirements {
            requests: Some(q(size.cpu_request_milli, size.memory_request_mib)),
            limits: Some(q(size.cpu_limit_milli, size.memory_limit_mib)),
            ..Default::default()
        }),
        // What the "restricted" Pod Security Standard asks of a container.
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            run_as_non_root: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "plan".into(),
                mount_path: PLAN_DIR.into(),
                read_only: Some(true),
                ..Default::default()
            },
            VolumeMount {
                name: "results".into(),
                mount_path: RESULTS_DIR.into(),
                ..Default::default()
            },
        ]),
        ..Default::default()
    }
}

/// `value` as an EnvVar's `value` that Kubernetes expands back to
/// `value`: every `$` written `$$` (the expansion reads `$$` as `$`, and
/// leaves no `$(NAME)` to expand).
pub fn escape_expansion(value: &str) -> String {
    value.replace('$', "$$")
}

#[cfg(test)]
mod tests {
    use super::escape_expansion;

    /// Kubernetes' expansion of an EnvVar's value (k8s.io/kubernetes
    /// third_party/forked/golang/expansion, `Expand`): `$$` is `$`,
    /// `$(NAME)` the value of an earlier NAME (left as written when there
    /// is none), any other `$` kept.
    fn expand(s: &str, vars: &[(&str, &str)]) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'$' && i + 1 < b.len() {
                match b[i + 1] {
                    b'$' => {
                        out.push(b'$');
                        i += 2;
                        continue;
                    }
                    b'(' => {
                        if let Some(end) = b[i + 2..].iter().position(|&c| c == b')') {
                            let name = &s[i + 2..i + 2 + end];
                            match vars.iter().find(|(n, _)| *n == name) {
                                Some((_, v)) => out.extend_from_slice(v.as_bytes()),
                                None => out.extend_from_slice(&b[i..i + 3 + end]),
                            }
                            i += 3 + end;
                            continue;
                        }
                    }
                    _ => {}
                }
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_expansion_model_follows_the_documented_rules() {
        let vars = [("A", "x")];
        assert_eq!(expand("pa$$w0rd", &vars), "pa$w0rd");
        assert_eq!(expand("$(A)-$(B)-$A-$", &vars), "x-$(B)-$A-$");
        assert_eq!(expand("$$(A)", &vars), "$(A)");
    }

    #[test]
    fn every_value_expands_back_to_itself() {
        let vars = [("PACE_START_AT", "2026-12-07T05:00:00Z"), ("A", "x")];
        for v in [
            "pa$$w0rd",
            "$(PACE_START_AT)",
            "$$(A)",
            "$",
            "$$$",
            "a$(A",
            "$(A)$(A)",
            "${A}",
            "",
            "no dollar",
        ] {
            assert_eq!(expand(&escape_expansion(v), &vars), v, "{v:?}");
        }
    }
}
