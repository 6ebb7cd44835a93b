import { describe, expect, it } from 'vitest';
import { hex, hmac, sha256, sign } from './sigv4';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('SigV4', () => {
  it('hashes like SHA-256 and HMAC-SHA256 (FIPS 180-2, RFC 4231)', () => {
    expect(hex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(utf8('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(utf8('a'.repeat(1000))))).toBe('41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3');
    expect(hex(hmac(utf8('Jefe'), utf8('what do ya want for nothing?')))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('signs AWS\'s get-vanilla example', () => {
    const h = sign('GET', '/', '', { host: 'example.amazonaws.com' }, '', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'us-east-1' }, 'service', new Date(Date.UTC(2015, 7, 30, 12, 36, 0)));
    expect(h['X-Amz-Date']).toBe('20150830T123600Z');
    expect(h.Authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });
});
