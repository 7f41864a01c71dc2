/**
 * A synthesized CDK app (a cloud assembly: `manifest.json` and one CloudFormation template per stack) as what
 * `faas-grip-cdk dev` runs (./app-model.ts). A function's code is the asset directory the assembly holds (by the
 * asset metadata `dev` turns on, else by the asset's S3 key).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AppModel, appModel, type Template } from './app-model';

/**
 * Reads the cloud assembly in `dir`; `parameters` are given to every stack that declares them.
 * @throws Error naming the missing file or the unusable part.
 */
export function readCloudAssembly(dir: string, parameters: Readonly<Record<string, string>> = {}): AppModel {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new Error(`no cloud assembly in ${dir} (no manifest.json): synthesize the app first (npx cdk synth)`);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
  };
  const templates = new Map<string, Template>();
  for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    templates.set(name, JSON.parse(readFileSync(join(dir, artifact.properties.templateFile), 'utf8')) as Template);
  }
  return appModel(
    templates,
    (_stack, _logicalId, resource) => {
      const code = resource.Properties?.Code as { ZipFile?: unknown; ImageUri?: unknown } | undefined;
      if (typeof code?.ZipFile === 'string') return { codeDir: '', inlineCode: code.ZipFile };
      if (code?.ImageUri !== undefined) return 'a container image';
      const assetPath = resource.Metadata?.['aws:asset:path'] ?? assetOfKey(dir, code);
      return typeof assetPath === 'string' ? { codeDir: resolve(dir, assetPath) } : 'its code is not in the assembly';
    },
    parameters,
  );
}

/** The asset directory of a function's code by its S3 key (`<hash>.zip` is staged as `asset.<hash>`). */
function assetOfKey(dir: string, code: unknown): string | undefined {
  const key = (code as { S3Key?: unknown } | undefined)?.S3Key;
  const hash = typeof key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(key)?.[1] : undefined;
  return hash !== undefined && existsSync(join(dir, `asset.${hash}`)) ? `asset.${hash}` : undefined;
}
