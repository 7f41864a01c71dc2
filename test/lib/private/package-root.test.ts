import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundledAssetDir, findPackageRoot, PACKAGE_NAME } from '../../../lib/private/package-root';

describe('findPackageRoot', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faas-grip-root-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('finds the package from lib/ (sources) and from dist/lib/ (the build)', () => {
    // GIVEN a package laid out like the published one, inside another project
    const pkg = path.join(tmp, 'node_modules', PACKAGE_NAME);
    fs.mkdirSync(path.join(pkg, 'dist', 'lib'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'consumer-app' }));
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: PACKAGE_NAME }));

    // THEN
    expect(findPackageRoot(path.join(pkg, 'dist', 'lib'))).toBe(pkg);
    expect(findPackageRoot(pkg)).toBe(pkg);
    expect(fs.realpathSync(findPackageRoot())).toBe(fs.realpathSync(path.resolve(__dirname, '..', '..', '..')));
  });

  test('fails when no package.json names the package', () => {
    fs.writeFileSync(path.join(tmp, 'package.json'), '{ not json');
    expect(() => findPackageRoot(tmp)).toThrow(/cannot find the faas-grip-cdk package root/);
  });
});

describe('bundledAssetDir', () => {
  test('fails with the build command when the bundle is missing', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faas-grip-root-'));
    try {
      expect(() => bundledAssetDir('chat', tmp)).toThrow(/'chat' handler bundle is missing.*run `npm run build`/);
      fs.mkdirSync(path.join(tmp, 'assets', 'chat'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'assets', 'chat', 'index.js'), 'exports.handler = async () => ({});');
      expect(bundledAssetDir('chat', tmp)).toBe(path.join(tmp, 'assets', 'chat'));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
