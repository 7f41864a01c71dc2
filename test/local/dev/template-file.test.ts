// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub texts, not JavaScript templates
/**
 * SAM and CloudFormation template files as what `faas-grip-cdk dev` runs: the short-form tags read as the JSON
 * form, SAM functions and simple tables as CloudFormation ones (Globals merged as SAM merges them, code where
 * `CodeUri` points or inline), parameters from the command line or their defaults, `Fn::Sub` resolved in the
 * functions' environment, and what cannot be run or resolved said by name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveEnvironment } from '../../../local/dev/resolve-env';
import { readTemplateFile } from '../../../local/dev/template-file';
import { parseTemplateText } from '../../../local/dev/template-text';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'dev-sam-app');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faas-grip-template-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` as a template in a directory of its own and reads it. */
const templateOf = (name: string, text: string, parameters?: Record<string, string>) => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return readTemplateFile(file, { parameters, stackName: name });
};

describe('template text', () => {
  it('reads the short-form tags as the JSON form', () => {
    const parsed = parseTemplateText(
      [
        'A: !Ref Thing',
        'B: !GetAtt Table.StreamArn',
        'C: !GetAtt [Table, Arn]',
        'D: !Sub "${AWS::Region}-x"',
        'E: !Sub ["${A}-y", { A: !Ref Thing }]',
        'F: !Join ["", [a, !Ref Thing]]',
        'G: !If [IsProd, !Select [0, !Split [",", "a,b"]], !Base64 text]',
        'H: !FindInMap { Map: M }',
        'I: True',
      ].join('\n'),
      't.yaml',
    );
    expect(parsed).toEqual({
      A: { Ref: 'Thing' },
      B: { 'Fn::GetAtt': ['Table', 'StreamArn'] },
      C: { 'Fn::GetAtt': ['Table', 'Arn'] },
      D: { 'Fn::Sub': '${AWS::Region}-x' },
      E: { 'Fn::Sub': ['${A}-y', { A: { Ref: 'Thing' } }] },
      F: { 'Fn::Join': ['', ['a', { Ref: 'Thing' }]] },
      G: { 'Fn::If': ['IsProd', { 'Fn::Select': [0, { 'Fn::Split': [',', 'a,b'] }] }, { 'Fn::Base64': 'text' }] },
      H: { 'Fn::FindInMap': { Map: 'M' } },
      I: true,
    });
  });

  it('reads JSON templates', () => {
    expect(parseTemplateText('{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}', 't.json')).toEqual({
      Resources: { T: { Type: 'AWS::SNS::Topic' } },
    });
  });

  it('names the file and line of a YAML error, and refuses what is not a mapping', () => {
    expect(() => parseTemplateText('Resources:\n  A: [unclosed\n', 'broken.yaml')).toThrow(/^broken\.yaml: .*line 3/s);
    expect(() => parseTemplateText('- a\n- b\n', 'list.yaml')).toThrow('list.yaml is not a template');
    expect(() => templateOf('empty', 'Description: nothing\n')).toThrow(/empty\.yaml has no Resources/);
  });
});

describe('a SAM template', () => {
  const model = readTemplateFile(join(FIXTURE, 'template.yaml'));

  it('finds the WebSocket API with its stage, routes and two-way route, and the functions behind them', () => {
    expect(model.apis[0]).toEqual({
      id: 'dev-sam-app/ChatApi',
      stack: 'dev-sam-app',
      logicalId: 'ChatApi',
      name: 'ChatApi',
      routeSelectionExpression: '$request.body.action',
      stageName: 'Prod',
      routes: expect.arrayContaining([
        { routeKey: '$connect', functionId: 'dev-sam-app/OnConnectFunction', twoWay: false },
        { routeKey: '$disconnect', functionId: 'dev-sam-app/OnDisconnectFunction', twoWay: false },
        { routeKey: 'sendmessage', functionId: 'dev-sam-app/SendMessageFunction', twoWay: false },
        { routeKey: 'whoami', functionId: 'dev-sam-app/WhoAmIFunction', twoWay: true },
      ]),
    });
    expect(model.apis[0].routes).toHaveLength(4);
  });

  it('makes an AWS::Serverless::WebSocketApi what SAM makes of it: stage, routes, authorizer on $connect', () => {
    expect(model.apis[1]).toEqual({
      id: 'dev-sam-app/LobbyApi',
      stack: 'dev-sam-app',
      logicalId: 'LobbyApi',
      name: 'LobbyApi',
      routeSelectionExpression: '$request.body.action',
      stageName: 'lobby',
      routes: [
        {
          routeKey: '$connect',
          functionId: 'dev-sam-app/LobbyConnectFunction',
          twoWay: false,
          authorizerFunctionId: 'dev-sam-app/LobbyAuthorizerFunction',
          identitySource: ['route.request.querystring.name'],
        },
        { routeKey: '$default', functionId: 'dev-sam-app/WhoAmIFunction', twoWay: true },
      ],
    });
    // The stage's name is a parameter's value; SAM's default stage is "default".
    const staged = readTemplateFile(join(FIXTURE, 'template.yaml'), { parameters: { LobbyStage: 'v2' } });
    expect(staged.apis[1].stageName).toBe('v2');
    const bare = templateOf(
      'bare',
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        '  Api:',
        '    Type: AWS::Serverless::WebSocketApi',
        '    Properties:',
        '      RouteSelectionExpression: $request.body.action',
        '      Routes:',
        '        $default: { FunctionArn: !GetAtt Fn.Arn }',
        '  Fn:',
        '    Type: AWS::Serverless::Function',
        '    Properties: { CodeUri: src, Handler: index.handler, Runtime: nodejs22.x }',
      ].join('\n'),
    );
    expect(bare.apis[0]).toMatchObject({
      stageName: 'default',
      routes: [{ routeKey: '$default', functionId: 'bare/Fn' }],
    });
  });

  it('reads an integration URI that is the bare function ARN, as AWS’s subprotocol example writes it', () => {
    const model = templateOf(
      'arn',
      [
        'Resources:',
        '  Api: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: WEBSOCKET } }',
        '  Route:',
        '    Type: AWS::ApiGatewayV2::Route',
        '    Properties: { ApiId: !Ref Api, RouteKey: $connect, Target: !Join [/, [integrations, !Ref Integ]] }',
        '  Integ:',
        '    Type: AWS::ApiGatewayV2::Integration',
        '    Properties: { ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn }',
        '  Fn:',
        '    Type: AWS::Lambda::Function',
        '    Properties: { Runtime: nodejs20.x, Handler: index.handler, Code: { ZipFile: "exports.handler = 1" } }',
      ].join('\n'),
    );
    expect(model.apis[0].routes).toEqual([{ routeKey: '$connect', functionId: 'arn/Fn', twoWay: false }]);
  });

  it('makes SAM functions Lambda functions with the Globals merged and their code where CodeUri points', () => {
    const send = model.functions.get('dev-sam-app/SendMessageFunction');
    expect(send).toMatchObject({
      codeDir: join(FIXTURE, 'sendmessage'),
      handler: 'app.handler',
      runtime: 'nodejs20.x',
      timeout: 5,
      environment: {
        TABLE_NAME: { Ref: 'TableName' },
        MESSAGES_TABLE: { Ref: 'MessagesTable' },
        GREETING: { 'Fn::Sub': '${Greeting} from ${AWS::Region}' },
      },
    });
    expect(model.functions.get('dev-sam-app/WhoAmIFunction')).toMatchObject({
      codeDir: '',
      inlineCode: expect.stringContaining('exports.handler'),
      handler: 'index.handler',
    });
    expect(model.warnings).toEqual([]);
  });

  it('creates the tables with their names: a parameter’s value, or the logical id', () => {
    expect([...model.tables.values()].map((t) => [t.logicalId, t.name])).toEqual([
      ['ConnectionsTable', 'chat_connections'],
      ['MessagesTable', 'MessagesTable'],
    ]);
    expect(model.tables.get('dev-sam-app/MessagesTable')?.definition).toEqual({
      KeySchema: [{ AttributeName: 'messageId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'messageId', AttributeType: 'S' }],
    });
    const given = readTemplateFile(join(FIXTURE, 'template.yaml'), { parameters: { TableName: 'room' } });
    expect(given.tables.get('dev-sam-app/ConnectionsTable')?.name).toBe('room');
  });

  it('resolves Fn::Sub, parameters and tables in the environment', () => {
    const send = model.functions.get('dev-sam-app/SendMessageFunction');
    const facts = {
      tableNames: new Map([...model.tables.values()].map((t) => [t.id, t.name])),
      apiEndpoints: new Map(),
    };
    expect(resolveEnvironment('dev-sam-app', send?.environment ?? {}, model, facts)).toEqual({
      values: { TABLE_NAME: 'chat_connections', MESSAGES_TABLE: 'MessagesTable', GREETING: 'hello from us-east-1' },
      unresolved: [],
    });
    const subs = {
      ARN: { 'Fn::Sub': '${ConnectionsTable.Arn}' },
      LITERAL: { 'Fn::Sub': '${!NotAVariable}-${AWS::AccountId}' },
      MAPPED: { 'Fn::Sub': ['${Name}/${AWS::StackName}', { Name: { Ref: 'TableName' } }] },
      SECRET: { 'Fn::Sub': '${SomeSecret}' },
    };
    expect(resolveEnvironment('dev-sam-app', subs, model, facts)).toEqual({
      values: {
        ARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/chat_connections',
        LITERAL: '${NotAVariable}-123456789012',
        MAPPED: 'chat_connections/dev-sam-app',
      },
      unresolved: ['SECRET: {"Fn::Sub":"${SomeSecret}"} (give it in the values file)'],
    });
  });
});

describe('SAM details', () => {
  const FUNCTION = (props: string) =>
    [
      'Transform: AWS::Serverless-2016-10-31',
      'Globals:',
      '  Function:',
      '    Runtime: nodejs22.x',
      '    Handler: index.handler',
      '    Timeout: 10',
      '    Layers: [global-layer]',
      '    Environment:',
      '      Variables: { SHARED: global, OVERRIDDEN: global }',
      'Resources:',
      '  Fn:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      ...props.split('\n').map((line) => `      ${line}`),
    ].join('\n');

  it('merges Globals as SAM does: scalars overridden, maps merged, lists appended', () => {
    const model = templateOf(
      'globals',
      FUNCTION(
        'CodeUri: ./src\nTimeout: 30\nLayers: [own-layer]\nEnvironment:\n  Variables: { OVERRIDDEN: own, OWN: own }',
      ),
    );
    expect(model.functions.get('globals/Fn')).toMatchObject({
      codeDir: join(dir, 'src'),
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      timeout: 30,
      environment: { SHARED: 'global', OVERRIDDEN: 'own', OWN: 'own' },
    });
    expect(readTemplateFileLayers(join(dir, 'globals.yaml'))).toEqual(['global-layer', 'own-layer']);
  });

  it('takes InlineCode, and names code that is not local', () => {
    expect(
      templateOf('inline', FUNCTION('InlineCode: "exports.handler = async () => 1"')).functions.get('inline/Fn'),
    ).toMatchObject({ inlineCode: 'exports.handler = async () => 1' });
    const s3 = templateOf('s3', FUNCTION('CodeUri: s3://bucket/code.zip'));
    expect(s3.functions.size).toBe(0);
    expect(s3.warnings).toEqual(['s3/Fn: not run locally: its code is in S3 (CodeUri), not in a local directory']);
    const image = templateOf('image', FUNCTION('PackageType: Image\nImageUri: repo:latest'));
    expect(image.warnings).toEqual(['image/Fn: not run locally: a container image']);
  });

  it('makes a function with GRIP settings behind an Api or HttpApi event a GRIP origin of that API', () => {
    const model = templateOf(
      'gripsam',
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        '  Own: { Type: AWS::Serverless::Api, Properties: { StageName: prod } }',
        '  Implicit:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        '      Handler: i.h',
        '      Runtime: nodejs22.x',
        '      Environment: { Variables: { GRIP_URL: "http://localhost:5561" } }',
        '      Events: { Any: { Type: Api, Properties: { Path: /, Method: ANY } } }',
        '  Explicit:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        '      Handler: i.h',
        '      Runtime: nodejs22.x',
        '      Environment: { Variables: { GRIP_PROXIES: "[]" } }',
        '      Events: { Any: { Type: Api, Properties: { RestApiId: !Ref Own, Path: /, Method: ANY } } }',
        '  Plain:',
        '    Type: AWS::Serverless::Function',
        '    Properties: { Handler: i.h, Runtime: nodejs22.x, Events: { Get: { Type: Api, Properties: { Path: /, Method: GET } } } }',
      ].join('\n'),
    );
    expect(model.gripOrigins).toEqual([
      { id: 'gripsam/ServerlessRestApi', name: 'ServerlessRestApi', functionId: 'gripsam/Implicit' },
      { id: 'gripsam/Own', name: 'Own', functionId: 'gripsam/Explicit' },
    ]);
    expect(model.warnings).toEqual(['gripsam/Plain: its Events (Get) are not run locally']);
  });

  it('keys a SimpleTable by id by default', () => {
    const model = templateOf(
      'simple',
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  T:\n    Type: AWS::Serverless::SimpleTable\n    Properties:\n      TableName: things\n',
    );
    expect(model.tables.get('simple/T')).toMatchObject({
      name: 'things',
      definition: { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] },
    });
  });

  it('names a parameter without a local value (no default, or an SSM name), and refuses one no template has', () => {
    const text = [
      'Parameters:',
      '  Secret: { Type: String }',
      '  FromSsm: { Type: "AWS::SSM::Parameter::Value<String>", Default: /my/ssm/name }',
      'Resources: {}',
    ].join('\n');
    expect(templateOf('nodefault', text).warnings).toEqual([
      'nodefault: parameter Secret has no local value (no default): give it with --parameter Secret=VALUE',
      'nodefault: parameter FromSsm has no local value (its default names an SSM parameter): give it with --parameter FromSsm=VALUE',
    ]);
    expect(templateOf('given', text, { Secret: 's', FromSsm: 'v' }).parameters.get('given')).toEqual({
      Secret: 's',
      FromSsm: 'v',
    });
    expect(() => templateOf('unknown', text, { Other: 'o' })).toThrow(
      'no template has the parameter Other (--parameter)',
    );
  });

  it('reads Handler, Runtime, Timeout, table and stage names given by parameters, Fn::Sub or Fn::Join', () => {
    const model = templateOf(
      'params',
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Parameters:',
        '  Seconds: { Type: Number, Default: 7 }',
        '  Node: { Type: String, Default: nodejs22.x }',
        '  Stage: { Type: String, Default: beta }',
        '  Subnets: { Type: CommaDelimitedList, Default: "a,b" }',
        'Globals:',
        '  Function: { Timeout: !Ref Seconds, Runtime: !Ref Node }',
        'Resources:',
        '  Fn:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        '      Handler: !Sub "${Node}.handler"',
        '      Environment:',
        '        Variables: { SUBNETS: !Join [";", !Ref Subnets], STAGE: !Ref ApiStage }',
        '  Table:',
        '    Type: AWS::DynamoDB::Table',
        '    Properties: { TableName: !Sub "${AWS::StackName}-conns", KeySchema: [], AttributeDefinitions: [] }',
        '  Api: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: WEBSOCKET } }',
        '  ApiStage: { Type: AWS::ApiGatewayV2::Stage, Properties: { ApiId: !Ref Api, StageName: !Ref Stage } }',
      ].join('\n'),
    );
    const fn = model.functions.get('params/Fn');
    expect(fn).toMatchObject({ codeDir: dir, handler: 'nodejs22.x.handler', runtime: 'nodejs22.x', timeout: 7 });
    expect(model.tables.get('params/Table')?.name).toBe('params-conns');
    expect(model.apis[0].stageName).toBe('beta');
    const facts = { tableNames: new Map(), apiEndpoints: new Map() };
    expect(resolveEnvironment('params', fn?.environment ?? {}, model, facts).values).toEqual({
      SUBNETS: 'a;b',
      STAGE: 'beta',
    });
    expect(model.warnings).toEqual([]);
  });

  it('names SAM WebSocketApi routes as SAM does, and refuses route keys SAM refuses', () => {
    const api = (routes: string) =>
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        '  Fn: { Type: AWS::Serverless::Function, Properties: { Handler: i.h, Runtime: nodejs22.x } }',
        '  Chat:',
        '    Type: AWS::Serverless::WebSocketApi',
        '    Properties:',
        '      RouteSelectionExpression: $request.body.action',
        '      Routes:',
        ...routes.split('\n').map((line) => `        ${line}`),
      ].join('\n');
    const model = templateOf(
      'ids',
      api('$connect: { FunctionArn: !GetAtt Fn.Arn }\nsendMessage: { FunctionArn: !GetAtt Fn.Arn }'),
    );
    expect(Object.keys(model.templates.get('ids')?.Resources ?? {}).filter((k) => k.endsWith('Route'))).toEqual([
      'ChatConnectRoute',
      'ChatSendmessageRoute',
    ]);
    expect(() =>
      templateOf('clash', api('$connect: { FunctionArn: !GetAtt Fn.Arn }\nconnect: { FunctionArn: !GetAtt Fn.Arn }')),
    ).toThrow('Chat: two routes make the same resource ChatConnectRoute');
    expect(() => templateOf('odd', api('send-message: { FunctionArn: !GetAtt Fn.Arn }'))).toThrow(
      "Chat: route key 'send-message' must be alphanumeric",
    );
  });

  it('finds the function of an ARN built from its name, and names an integration whose function is not found', () => {
    const model = templateOf(
      'targets',
      [
        'Resources:',
        '  Api: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: WEBSOCKET } }',
        '  R1: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref Api, RouteKey: $connect, Target: !Sub "integrations/${I1}" } }',
        '  I1:',
        '    Type: AWS::ApiGatewayV2::Integration',
        '    Properties:',
        '      ApiId: !Ref Api',
        '      IntegrationType: AWS_PROXY',
        '      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}/invocations',
        '  R2: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref Api, RouteKey: lost, Target: !Join [/, [integrations, !Ref I2]] } }',
        '  I2:',
        '    Type: AWS::ApiGatewayV2::Integration',
        '    Properties: { ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: arn:aws:lambda:us-east-1:1:function:elsewhere }',
        '  R3: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref Api, RouteKey: mock, Target: !Join [/, [integrations, !Ref I3]] } }',
        '  I3: { Type: AWS::ApiGatewayV2::Integration, Properties: { ApiId: !Ref Api, IntegrationType: MOCK } }',
        '  Fn: { Type: AWS::Lambda::Function, Properties: { Runtime: nodejs20.x, Handler: index.handler, Code: { ZipFile: "x" } } }',
      ].join('\n'),
    );
    expect(model.apis[0].routes[0]).toEqual({ routeKey: '$connect', functionId: 'targets/Fn', twoWay: false });
    expect(model.warnings).toEqual([
      'targets/Api: route lost: the function of its integration is not found in the template: not run',
      'targets/Api: route mock: MOCK integration is not run locally (Lambda proxy integrations are)',
    ]);
  });

  it('takes the template’s directory without CodeUri, and names archives, Events, REST APIs and layers', () => {
    const model = templateOf(
      'kinds',
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        '  Here:',
        '    Type: AWS::Serverless::Function',
        '    Properties: { Handler: i.h, Runtime: nodejs22.x, Layers: [arn:layer], Events: { Api: { Type: Api } } }',
        '  Zipped: { Type: AWS::Serverless::Function, Properties: { Handler: i.h, Runtime: nodejs22.x, CodeUri: build/fn.zip } }',
        '  Rest: { Type: AWS::Serverless::Api, Properties: { StageName: prod } }',
      ].join('\n'),
    );
    expect(model.functions.get('kinds/Here')?.codeDir).toBe(dir);
    expect(model.warnings).toEqual([
      'kinds/Here: its Events (Api) are not run locally',
      'kinds/Rest: AWS::Serverless::Api is not served (dev serves WebSocket APIs and GRIP origins)',
      'kinds/Here: its layers are not provided locally (bundle their code with the function)',
      'kinds/Zipped: not run locally: its CodeUri is an archive (build/fn.zip): point it at the directory of the code',
    ]);
  });
});

/** The Layers the transformed function keeps (not part of the model: read from the transformed template). */
function readTemplateFileLayers(file: string): unknown {
  const model = readTemplateFile(file, { stackName: 'globals' });
  return model.templates.get('globals')?.Resources?.Fn.Properties?.Layers;
}
