/** Builds GRIP_URL values for local runs: `<control uri>?iss=..&key=..&verify-iss=..&verify-key=..`. */

/** The parts of a GRIP_URL. Byte keys are written as `base64:<...>`. */
export interface GripUrlParts {
  /** Base URL of the proxy's control (publish) API. */
  readonly controlUri: string;
  /** Issuer of the publish JWT. */
  readonly iss?: string;
  /** Publish key (signs the publish JWT when `iss` is set). */
  readonly key?: string | Uint8Array;
  /** Issuer `Grip-Sig` tokens must carry. */
  readonly verifyIss?: string;
  /** Key that verifies `Grip-Sig`. */
  readonly verifyKey?: string | Uint8Array;
}

function keyText(key: string | Uint8Array): string {
  return typeof key === 'string' ? key : `base64:${Buffer.from(key).toString('base64')}`;
}

/** A GRIP_URL for `parts`, every value URL-encoded. */
export function buildGripUrl(parts: GripUrlParts): string {
  const params: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) params.push(`${name}=${encodeURIComponent(value)}`);
  };
  add('iss', parts.iss);
  add('key', parts.key === undefined ? undefined : keyText(parts.key));
  add('verify-iss', parts.verifyIss);
  add('verify-key', parts.verifyKey === undefined ? undefined : keyText(parts.verifyKey));
  const base = parts.controlUri.replace(/\/$/, '');
  return params.length ? `${base}?${params.join('&')}` : base;
}
