import { isValidChannel } from '../../../lambda/core/channel-name';

test.each(['room', 'a', 'news.sport_2-b', 'user:2f6c1a3e-9d4b-4c1e-8a7f-3b5d2e1c0a9f', 'x'.repeat(64)])(
  'accepts %j',
  (name) => {
    expect(isValidChannel(name)).toBe(true);
  },
);

test.each(['', 'x'.repeat(65), 'a,b', 'a;b', 'a b', 'a\nb', 'é', 'a/b', 'a|b', '~sse1~a'])('refuses %j', (name) => {
  expect(isValidChannel(name)).toBe(false);
});
