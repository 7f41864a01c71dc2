/**
 * A module resolution hook for `faas-grip-cdk dev`'s function processes (registered by ./function-runner.ts): an ES
 * module's `import '@aws-sdk/...'` (or `@smithy/...`) that its own directories cannot resolve resolves from the AWS
 * SDK for JavaScript v3 that faas-grip-cdk installs, as Lambda's Node.js runtimes provide the SDK to ES modules too.
 * (CommonJS code finds it through NODE_PATH, which ES module resolution does not read.)
 */

interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<unknown>;

let sdkParent: string | undefined;

/** Receives the URL of a file beside the `node_modules` that holds the SDK. */
export function initialize(data: { readonly sdkParent: string }): void {
  sdkParent = data.sdkParent;
}

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<unknown> {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const provided = specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/');
    if (!provided || sdkParent === undefined || (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') {
      throw error;
    }
    return nextResolve(specifier, { ...context, parentURL: sdkParent });
  }
}
