import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '@authgate/shared/errors';
import { isStorableText, refuseUnstorableText, storableText, unstorableTextIssues, UNSTORABLE_MESSAGE } from '@authgate/shared/storable-text';

describe('storable text: what PostgreSQL text and jsonb can hold', () => {
  test('NUL and unpaired surrogates are refused; pairs (astral characters) and every other character pass', () => {
    for (const bad of ['\u0000', 'a\u0000b', '\ud800', 'x\udbff', '\udc00', 'y\udfffz', '\ude00\ud83d'])
      assert.equal(isStorableText(bad), false, JSON.stringify(bad));
    for (const fine of ['', 'plain', '\u0001\u001f\u007f', 'é ü ß', '😀', 'a\ud83d\ude00b', '\uFFFD', '\u2028'])
      assert.equal(isStorableText(fine), true, JSON.stringify(fine));
  });

  test('every string of a JSON value is looked at, keys and values, at any depth; each bad field is named', () => {
    const issues = unstorableTextIssues({
      email: 'a@b.c',
      deviceId: 'a\u0000b',
      data: { list: ['fine', { deep: '\ud800' }], 'key\u0000': 1, ok: 2, n: null, b: true },
    });
    assert.deepEqual(issues, [
      { path: 'deviceId', message: UNSTORABLE_MESSAGE },
      { path: 'data.list.1.deep', message: UNSTORABLE_MESSAGE },
      { path: 'data.key\uFFFD', message: `field name ${UNSTORABLE_MESSAGE}` },
    ]);
    assert.deepEqual(unstorableTextIssues({ a: 1, b: [1, 'x', { c: 'y' }] }), []);
    assert.deepEqual(unstorableTextIssues('\u0000'), [{ path: '(root)', message: UNSTORABLE_MESSAGE }]);
  });

  test('nesting as deep as a 1 MB body allows is walked without exhausting the stack', () => {
    const depth = 500_000;
    const deep = JSON.parse(`${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`);
    const issues = unstorableTextIssues(deep);
    assert.equal(issues.length, 1);
    assert.ok(issues[0]!.path.endsWith('.0'));
  });

  test('the issues listed are bounded, however many fields are bad', () => {
    const body = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, '\u0000']));
    assert.equal(unstorableTextIssues(body).length, 20);
  });

  test('refuseUnstorableText throws invalid_request with the fields as details', () => {
    assert.doesNotThrow(() => refuseUnstorableText({ a: 'b' }));
    assert.throws(
      () => refuseUnstorableText({ deviceId: '\u0000' }),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === 'invalid_request' &&
        err.status === 400 &&
        JSON.stringify(err.details) === JSON.stringify([{ path: 'deviceId', message: UNSTORABLE_MESSAGE }]),
    );
  });

  test('storableText: a header cut to its bound without splitting a pair, NUL and unpaired surrogates replaced', () => {
    assert.equal(storableText('Mozilla/5.0', 512), 'Mozilla/5.0');
    assert.equal(storableText('a\u0000b\ud800c', 512), 'a\uFFFDb\uFFFDc');
    const emojiAtTheCut = `${'a'.repeat(511)}😀`;
    assert.equal(storableText(emojiAtTheCut, 512), 'a'.repeat(511), 'half an emoji is dropped, not kept as a lone surrogate');
    assert.equal(storableText(`${'a'.repeat(510)}😀`, 512), `${'a'.repeat(510)}😀`);
    assert.ok(isStorableText(storableText(`${'\ud800'.repeat(600)}`, 512)));
  });
});
