#!/usr/bin/env bash
# Synthesizes the GCP side (every environment, offline, as the repository configures it: before the AWS side exists)
# and one environment again with its AWS side configured (the tests' AWS outputs: tunnels, brokers, the SCRAM
# secret; infra/gcp/test/linked-app.ts), and runs checkov (PyPI, cached under the home folder) on
# the Terraform JSON with .checkov.yaml: any failed check fails. The checks .checkov.yaml skips are then run
# alone, and fail unless every finding is on a resource acknowledged for it below (terraform_json has no
# per-resource suppressions, so a skipped check must not hide a new resource with the same weakness).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh

# check id -> the only resource where it may fail, as checkov names it in Terraform JSON (resource.<logical id>):
# the Flink cluster, the results database, the access-log bucket.
declare -A ACKNOWLEDGED=(
  [CKV_GCP_91]='resource.Flink_Cluster_60F25C2F'
  [CKV_GCP_79]='resource.ResultsDatabase_Instance_C55BFA19'
  [CKV_GCP_6]='resource.ResultsDatabase_Instance_C55BFA19'
  [CKV_GCP_62]='resource.AccessLogsBucket'
)

start=$(date +%s)
CHECKPOINT_DISABLE=1 node --disable-warning=DEP0044 --import tsx bin/gcp.ts
# The second phase: the link's resources exist only once the AWS side's outputs are configured. One environment
# suffices, the link's resources are the same in each.
linked_env=prod
rm -rf cdktf.out/linked
CHECKPOINT_DISABLE=1 node --disable-warning=DEP0044 --import tsx infra/gcp/test/linked-app.ts "$linked_env" cdktf.out/linked
grep -q '"google_compute_vpn_tunnel"' cdktf.out/linked/stacks/*/cdk.tf.json \
  || { echo "the $linked_env synthesis has no VPN tunnel: its AWS side is not configured" >&2; exit 1; }
echo "cdktf synth (all environments, and $linked_env with the AWS side configured): $(( $(date +%s) - start )) s"

checkov="$(python_tool checkov checkov)"
stacks=(cdktf.out/stacks/*/cdk.tf.json cdktf.out/linked/stacks/*/cdk.tf.json)
echo "checkov $("$checkov" --version) on ${#stacks[@]} stacks"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
"$checkov" --config-file .checkov.yaml -d cdktf.out/stacks -d cdktf.out/linked/stacks 2> "$log"
status=$?
set -e
# A few of checkov's PostgreSQL flag checks crash on the JSON form of database_flags; they neither pass nor fail.
# The flags they look for are asserted in infra/gcp/test/security.test.ts.
grep -o 'Failed to run check [A-Z0-9_]*' "$log" | sort | uniq -c | sed 's/^/  note: checkov /' || true
if (( status != 0 )); then
  grep -v 'prismacloud\|urllib3\|Failed to run check' "$log" >&2 || true
  echo "checkov found failed checks (exit $status)" >&2
  exit 1
fi

skipped="$(IFS=,; echo "${!ACKNOWLEDGED[*]}")"
# From another folder: checkov reads .checkov.yaml from the working folder, and would refuse to run skipped checks.
root="$PWD"
report="$(cd /tmp && "$checkov" -d "$root/cdktf.out/stacks" -d "$root/cdktf.out/linked/stacks" --framework terraform_json --skip-download --quiet --compact \
  --check "$skipped" -o json 2>/dev/null || true)"
problems="$(ACK="$(declare -p ACKNOWLEDGED)" python3 -c '
import json, os, re, sys
allowed = dict(re.findall(r"\[(\w+)\]=\"([^\"]*)\"", os.environ["ACK"]))
# One JSON document per scanned folder, one after the other.
text, reports, decoder, at = sys.stdin.read(), [], json.JSONDecoder(), 0
while text[at:].strip():
    at += len(text[at:]) - len(text[at:].lstrip())
    data, at = decoder.raw_decode(text, at)
    reports.extend(data if isinstance(data, list) else [data])
seen = set()
for report in reports:
    for failed in report.get("results", {}).get("failed_checks", []):
        check, resource = failed["check_id"], failed["resource"]
        seen.add(check)
        if resource != allowed.get(check):
            print("  %s fails on %s (%s), acknowledged only on %s" % (check, resource, failed["file_path"], allowed.get(check)))
for check in sorted(set(allowed) - seen):
    print("  %s is acknowledged but no longer fails: remove it from .checkov.yaml and this script" % check)
' <<<"$report")"
if [[ -n "$problems" ]]; then
  echo "checkov acknowledgements do not match the findings:" >&2
  echo "$problems" >&2
  exit 1
fi
echo "checkov: no failed checks; acknowledged: ${!ACKNOWLEDGED[*]} ($(( $(date +%s) - start )) s)"
