/**
 * A SAM or CloudFormation template file (YAML or JSON) as what `faas-grip-cdk dev` runs (./app-model.ts): the SAM
 * transform applied when the template asks for it (./sam-transform.ts); a function's code is the directory its
 * `CodeUri` names, or its inline code. The template is one stack, named after its directory unless told.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { type AppModel, appModel, type Template } from './app-model';
import { CODE_DIR, isSamTemplate, NOT_RUN, samTransform } from './sam-transform';
import { parseTemplateText } from './template-text';

/** Options of {@link readTemplateFile}. */
export interface TemplateFileOptions {
  /** Parameter values (missing ones take the template's defaults). @default - the defaults */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The stack's name (`AWS::StackName`). @default - the template directory's name */
  readonly stackName?: string;
}

/**
 * Reads the template in `file`.
 * @throws Error naming the file and what is wrong with it.
 */
export function readTemplateFile(file: string, options: TemplateFileOptions = {}): AppModel {
  const path = resolve(file);
  const dir = dirname(path);
  const parsed = parseTemplateText(readFileSync(path, 'utf8'), file);
  if (typeof parsed.Resources !== 'object' || parsed.Resources === null) {
    throw new Error(`${file} has no Resources: not a CloudFormation or SAM template`);
  }
  const { template, warnings } = isSamTemplate(parsed)
    ? samTransform(parsed, dir)
    : { template: parsed as Template, warnings: [] };
  const stack = options.stackName ?? (basename(dir).replace(/[^A-Za-z0-9-]/g, '-') || 'stack');
  const model = appModel(
    new Map([[stack, template]]),
    (_stack, _logicalId, resource) => {
      const code = resource.Properties?.Code as { ZipFile?: unknown; ImageUri?: unknown; S3Bucket?: unknown };
      const codeDir = resource.Metadata?.[CODE_DIR];
      if (typeof codeDir === 'string') return { codeDir };
      if (typeof resource.Metadata?.[NOT_RUN] === 'string') return resource.Metadata[NOT_RUN] as string;
      if (typeof code?.ZipFile === 'string') return { codeDir: '', inlineCode: code.ZipFile };
      return code?.ImageUri !== undefined ? 'a container image' : 'its code is in S3, not in a local directory';
    },
    options.parameters,
  );
  return { ...model, warnings: [...warnings.map((w) => `${stack}/${w}`), ...model.warnings] };
}
