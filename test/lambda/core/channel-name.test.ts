import { isValidChannel } from '../../../lambda/core/channel-name';

test.each(['room', 'a', 'news.sport_2-b', 'x'.repeat(64)])('accepts %j', (name) => {
  expect(isValidChannel(name)).toBe(true);
});

test.each(['', 'x'.repeat(65), 'a,b', 'a;b', 'a b', 'a\nb', 'é', 'a/b'])('refuses %j', (name) => {
  expect(isValidChannel(name)).toBe(false);
});
