#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildAwsApp } from '../infra/aws/app';
import { readAwsConfig } from '../infra/aws/config';

const app = new App();
buildAwsApp(app, readAwsConfig(app));
