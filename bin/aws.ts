#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildAwsApp } from '../infra/aws/app';
import { readAwsConfig } from '../infra/aws/config';
import { DEPLOYMENT } from '../lib/platform';

// lib/platform's deployment settings; `-c shopfront:<key>=<value>` overrides one for this synthesis.
const app = new App();
buildAwsApp(app, readAwsConfig(app, process.env, DEPLOYMENT));
