import { CfnOutput, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import type { Construct } from 'constructs';
import { checkString } from './private/validate';

/** Options of {@link CustomDomain.fromDomainName}. */
export interface ExistingCustomDomainOptions {
  /**
   * The path the API is mapped under on the domain, without slashes (`grip` serves the API at `/grip/...`).
   *
   * @default - the API is mapped at the root of the domain
   */
  readonly basePath?: string;
}

/** Options of {@link CustomDomain.newDomainName}. */
export interface NewCustomDomainOptions extends ExistingCustomDomainOptions {
  /** The host name, such as `grip.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for the host name, in the stack's region (the domain is regional). */
  readonly certificate: acm.ICertificate;
  /**
   * The Route 53 hosted zone the host name is in: an alias A record pointing the name at the domain is defined
   * there, so the name resolves when the deploy ends.
   *
   * @default - no DNS record: the `DomainDnsTarget` output names the host to point a CNAME (or an alias) at
   */
  readonly hostedZone?: route53.IHostedZone;
}

/** Where a domain serves the API: the origin host and the path prefix a proxy must send. */
export interface CustomDomainBinding {
  /** The host name the proxy connects to and sends as `Host`. */
  readonly host: string;
  /** The path prefix requests need (`''` at the root, else `/<base path>`). */
  readonly pathPrefix: string;
}

/** A custom domain name the GRIP origin is served on, instead of the API's own execute-api host. */
export abstract class CustomDomain {
  /** Map the API on an API Gateway domain name you already have. */
  public static fromDomainName(
    domainName: apigateway.IDomainName,
    options: ExistingCustomDomainOptions = {},
  ): CustomDomain {
    const pathPrefix = prefixOf(options.basePath);
    return new MappedDomain((scope, api) => {
      new apigateway.BasePathMapping(scope, 'DomainMapping', {
        domainName,
        restApi: api,
        basePath: options.basePath,
      });
      return { host: domainName.domainName, pathPrefix };
    });
  }

  /**
   * Define a regional API Gateway domain name (TLS 1.2) from a host name and its certificate, with its DNS record
   * when the hosted zone is given (else an output naming the target to point a CNAME or alias at).
   */
  public static newDomainName(options: NewCustomDomainOptions): CustomDomain {
    const pathPrefix = prefixOf(options.basePath);
    const { domainName, hostedZone } = options;
    checkInZone(domainName, hostedZone);
    return new MappedDomain((scope, api) => {
      const domain = new apigateway.DomainName(scope, 'Domain', {
        domainName,
        certificate: options.certificate,
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      });
      domain.addBasePathMapping(api, { basePath: options.basePath });
      if (hostedZone === undefined) {
        const name = Token.isUnresolved(domainName) ? 'the domain name' : domainName;
        new CfnOutput(scope, 'DomainDnsTarget', {
          value: domain.domainNameAliasDomainName,
          description:
            `Point a CNAME (or an alias A record) for ${name} at this name: until that record exists, ${name} ` +
            'does not resolve and the proxy cannot reach the origin',
        });
      } else {
        new route53.ARecord(scope, 'DomainRecord', {
          zone: hostedZone,
          recordName: domainName,
          target: route53.RecordTarget.fromAlias(new route53Targets.ApiGatewayDomain(domain)),
        });
      }
      return { host: domainName, pathPrefix };
    });
  }

  /** Maps `api` (its deployment stage) on the domain, defining what is needed in `scope`. */
  public abstract bind(scope: Construct, api: apigateway.RestApi): CustomDomainBinding;
}

class MappedDomain extends CustomDomain {
  public constructor(private readonly map: (scope: Construct, api: apigateway.RestApi) => CustomDomainBinding) {
    super();
  }

  public bind(scope: Construct, api: apigateway.RestApi): CustomDomainBinding {
    return this.map(scope, api);
  }
}

/** Throws when the host name is known not to be in the zone (both known at synth). */
function checkInZone(domainName: string, zone: route53.IHostedZone | undefined): void {
  if (zone === undefined || Token.isUnresolved(domainName) || Token.isUnresolved(zone.zoneName)) {
    return;
  }
  const name = domainName.toLowerCase().replace(/\.$/, '');
  const zoneName = zone.zoneName.toLowerCase().replace(/\.$/, '');
  if (name !== zoneName && !name.endsWith(`.${zoneName}`)) {
    throw new Error(
      `custom domain ${domainName} is not in the hosted zone ${zone.zoneName}: give the zone the name belongs to`,
    );
  }
}

function prefixOf(basePath: string | undefined): string {
  if (basePath === undefined || basePath === '') {
    return '';
  }
  checkString(
    'custom domain basePath',
    basePath,
    /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/,
    "use path segments without leading or trailing '/'",
  );
  return `/${basePath}`;
}
