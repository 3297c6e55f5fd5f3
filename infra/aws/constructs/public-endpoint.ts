import { aws_certificatemanager as acm, aws_route53 as route53 } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Where the API answers: a host name in a Route 53 public hosted zone. */
export interface PublicEndpointSettings {
  /** e.g. `api.shop.example.org` */
  readonly hostname: string;
  /** The public hosted zone the name is in (`Z...`); the certificate is validated by DNS records there. */
  readonly hostedZoneId: string;
}

export interface PublicEndpointProps extends PublicEndpointSettings {}

/**
 * The API's public name and its ACM certificate, validated by DNS in the configured hosted zone (CloudFormation
 * writes the validation record and waits for issuance), so the load balancer's HTTPS listener has a certificate the
 * moment the Ingress reaches the controller. The zone is named by id, not looked up, so synthesis stays offline.
 */
export class PublicEndpoint extends Construct {
  readonly hostname: string;
  readonly certificate: acm.Certificate;

  constructor(scope: Construct, id: string, props: PublicEndpointProps) {
    super(scope, id);
    this.hostname = props.hostname;
    const zone = route53.HostedZone.fromHostedZoneId(this, 'Zone', props.hostedZoneId);
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.hostname,
      validation: acm.CertificateValidation.fromDns(zone),
    });
  }
}
