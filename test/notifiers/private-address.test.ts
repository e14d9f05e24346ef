import { describe, expect, it } from 'vitest';
import { isLocalhostName, isPrivateAddress, parseIpAddress } from '../../src/notifiers/private-address.ts';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.10',
    '169.254.169.254',
    '100.64.0.1',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    '2002:c0a8:0101::1', // 6to4 of 192.168.1.1
    'fc00::1',
    'fd00:ec2::254',
    'fe80::1%eth0',
    'ff02::1',
    'not-an-address',
  ])('treats %s as private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '192.169.0.1',
    '100.128.0.1',
    '11.0.0.1',
    '2606:4700:4700::1111',
    '2001:db8::1',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
  ])('treats %s as public', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('parseIpAddress', () => {
  it.each(['example.com', '1.2.3', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::'])(
    'rejects %s',
    (text) => {
      expect(parseIpAddress(text)).toBeNull();
    },
  );

  it('expands :: and an embedded IPv4 tail', () => {
    expect(parseIpAddress('::ffff:1.2.3.4')).toEqual({
      version: 6,
      words: [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304],
    });
  });
});

describe('isLocalhostName', () => {
  it.each(['localhost', 'LocalHost.', 'app.localhost'])('knows %s is this machine', (name) => {
    expect(isLocalhostName(name)).toBe(true);
  });

  it('does not match names that merely contain localhost', () => {
    expect(isLocalhostName('localhost.example.com')).toBe(false);
  });
});
