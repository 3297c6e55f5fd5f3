#!/usr/bin/env node
import { App } from 'cdktf';
import { buildGcpApp } from '../infra/gcp/app';
import { GCP_CONFIG } from '../infra/gcp/config';

// Terraform JSON per environment under cdktf.out/stacks/<stack>/cdk.tf.json, as `cdktf synth` writes it.
const app = new App({ outdir: 'cdktf.out' });
buildGcpApp(app, GCP_CONFIG);
app.synth();
