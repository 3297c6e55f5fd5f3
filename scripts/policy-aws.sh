#!/usr/bin/env bash
# Synthesizes every AWS environment offline, and one again with the analytics link configured (cdk-nag runs as part
# of synthesis and fails it on any unacknowledged finding), then lints each CloudFormation template with cfn-lint (errors fail, warnings are printed)
# and runs checkov on each (any failed check fails). checkov's acknowledgements are per resource, each with its
# reason, written into the templates by infra/aws/checkov.ts; checkov lists them as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh

outdir="${CDK_OUTDIR:-cdk.out}"
start=$(date +%s)
# With every option a deployment may switch on (a public host name, whose certificate and external-dns come with it,
# a private repository's credentials, and the VPN to the GCP analytics VPC), so the gates see every resource the
# stacks can create.
options=(-c shopfront:apiHostname=api.policy.example.org -c shopfront:hostedZoneId=Z0POLICYCHECK
  -c shopfront:gitRepoPrivate=true)
npx cdk synth --quiet --output "$outdir" "${options[@]}" -c shopfront:gcpVpnAddresses=198.51.100.10,198.51.100.11
echo "cdk synth (all environments, every option on): $(( $(date +%s) - start )) s"
# And one environment with the analytics link configured on both sides (decision 0023: the GCP side's VPN and
# results database addresses, from the tests' settings, infra/aws/test/linked-app.ts), which adds the gateway's login
# to the results database. The link's resources are the same in each environment, so one suffices.
linked_env=prod
rm -rf "$outdir/linked"
npx cdk synth --quiet --app "npx tsx infra/aws/test/linked-app.ts $linked_env" --output "$outdir/linked" "${options[@]}"
# The scan must see what the link adds: the VPN connections and the gateway's login to the results database.
grep -q '"AWS::EC2::VPNConnection"' "$outdir"/linked/*-Network.template.json \
  && grep -q '"Name": "shopfront-'"$linked_env"'-analytics-reader"' "$outdir"/linked/*-Data.template.json \
  || { echo "the $linked_env synthesis has no VPN connection or no results database login: the link is not configured" >&2; exit 1; }
echo "cdk synth ($linked_env with the analytics link configured): $(( $(date +%s) - start )) s"

cfn_lint="$(python_tool cfn-lint cfn-lint)"
templates=("$outdir"/*.template.json "$outdir"/linked/*.template.json)
echo "cfn-lint $("$cfn_lint" --version) on ${#templates[@]} templates"
set +e
"$cfn_lint" --format parseable -- "${templates[@]}"
status=$?
set -e
# cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational; 1 = it crashed.
if (( status & 3 )); then
  echo "cfn-lint found errors (exit $status)" >&2
  exit 1
fi
echo "cfn-lint: no errors"

checkov="$(python_tool checkov checkov)"
files=()
for template in "${templates[@]}"; do files+=(--file "$(realpath "$template")"); done
echo "checkov $("$checkov" --version) on ${#templates[@]} templates"
# From the output folder: the repository's .checkov.yaml is the GCP tier's (Terraform JSON).
set +e
(cd "$outdir" && "$checkov" --framework cloudformation --skip-download --quiet --compact "${files[@]}")
status=$?
set -e
if (( status != 0 )); then
  echo "checkov found failed checks (exit $status): fix them, or acknowledge one on its resource in infra/aws/checkov.ts" >&2
  exit 1
fi
echo "checkov: no failed checks ($(( $(date +%s) - start )) s)"
