import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
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

  /** Define a regional API Gateway domain name (TLS 1.2) from a host name and its certificate. */
  public static newDomainName(options: NewCustomDomainOptions): CustomDomain {
    const pathPrefix = prefixOf(options.basePath);
    return new MappedDomain((scope, api) => {
      const domain = new apigateway.DomainName(scope, 'Domain', {
        domainName: options.domainName,
        certificate: options.certificate,
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      });
      domain.addBasePathMapping(api, { basePath: options.basePath });
      return { host: options.domainName, pathPrefix };
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
