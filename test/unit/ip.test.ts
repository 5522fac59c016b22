/**
 * Addresses and CIDR blocks for IpAddress / NotIpAddress: IPv4 and IPv6 (RFC 4291 text forms), a bare address is
 * a /32 or /128.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */
import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr, type Cidr } from '../../providers/aws/ip.js';

function cidr(s: string): Cidr {
  const c = parseCidr(s);
  if (!c) throw new Error(`expected '${s}' to parse`);
  return c;
}

const contains = (block: string, ip: string) => cidrContains(cidr(block), cidr(ip));

describe('parseCidr: IPv4', () => {
  it('parses a block', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ v6: false, bits: 0x0a000000n, prefix: 8 });
    expect(parseCidr('203.0.113.7/32')).toEqual({ v6: false, bits: 0xcb007107n, prefix: 32 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ v6: false, bits: 0n, prefix: 0 });
  });

  it('a bare address is a /32', () => {
    expect(parseCidr('255.255.255.255')).toEqual({ v6: false, bits: 0xffffffffn, prefix: 32 });
  });

  it('rejects invalid text', () => {
    for (const s of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-1', 'a.b.c.d', '1.2.3.4/33', '1.2.3.4/', '1.2.3.4/-1', '1.2.3.4/8/8', '1.2.3.4 ', ' 1.2.3.4', '1..2.3', '1.2.3.1234']) {
      expect(parseCidr(s), JSON.stringify(s)).toBeUndefined();
    }
  });
});

describe('parseCidr: IPv6', () => {
  it('parses the full form', () => {
    expect(parseCidr('2001:0db8:0000:0000:0000:0000:0000:0001')).toEqual({ v6: true, bits: 0x20010db8000000000000000000000001n, prefix: 128 });
  });

  it('expands :: anywhere', () => {
    expect(parseCidr('::')).toEqual({ v6: true, bits: 0n, prefix: 128 });
    expect(cidr('::1').bits).toBe(1n);
    expect(cidr('2001:db8::').bits).toBe(0x20010db8n << 96n);
    expect(cidr('2001:db8::1').bits).toBe((0x20010db8n << 96n) | 1n);
    expect(cidr('1:2:3:4:5:6:7::').bits).toBe(0x00010002000300040005000600070000n);
    expect(cidr('::2:3:4:5:6:7:8').bits).toBe(0x00000002000300040005000600070008n);
  });

  it('accepts upper-case hex', () => {
    expect(cidr('2001:DB8::ABCD').bits).toBe(cidr('2001:db8::abcd').bits);
  });

  it('parses a prefix', () => {
    expect(parseCidr('2001:db8::/32')).toEqual({ v6: true, bits: 0x20010db8n << 96n, prefix: 32 });
    expect(cidr('::/0').prefix).toBe(0);
  });

  it('parses an embedded IPv4 address in the last 32 bits', () => {
    expect(cidr('::ffff:192.0.2.1').bits).toBe(0xffffc0000201n);
    expect(cidr('::192.0.2.1').bits).toBe(0xc0000201n);
    expect(cidr('64:ff9b::192.0.2.33/96').prefix).toBe(96);
    expect(cidr('1:2:3:4:5:6:192.0.2.1').bits).toBe(0x000100020003000400050006c0000201n);
  });

  it('rejects invalid text', () => {
    for (const s of [
      '1:2:3:4:5:6:7', // 7 groups, no ::
      '1:2:3:4:5:6:7:8:9',
      '1::2::3', // two ::
      '12345::', // group too long
      'gggg::',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      ':::',
      '::/129',
      '::ffff:192.0.2', // short embedded IPv4
      '::ffff:192.0.2.256',
      '1:2:3:4:5:6:7:192.0.2.1', // 7 groups + IPv4 = 9 groups
      '192.0.2.1::',
      '::1.2.3.4:5',
    ]) {
      expect(parseCidr(s), s).toBeUndefined();
    }
  });

  it('rejects :: standing for no group at all (RFC 4291 2.2: "::" is one or more groups of zeros)', () => {
    for (const s of ['::1:2:3:4:5:6:7:8', '1:2:3:4::5:6:7:8', '1:2:3:4:5:6:7:8::']) {
      expect(parseCidr(s), s).toBeUndefined();
    }
  });
});

describe('cidrContains', () => {
  it('IPv4', () => {
    expect(contains('10.0.0.0/8', '10.255.0.1')).toBe(true);
    expect(contains('10.0.0.0/8', '11.0.0.0')).toBe(false);
    expect(contains('192.168.1.0/25', '192.168.1.127')).toBe(true);
    expect(contains('192.168.1.0/25', '192.168.1.128')).toBe(false);
  });

  it('a /32 holds one address; /0 holds them all', () => {
    expect(contains('203.0.113.7', '203.0.113.7')).toBe(true);
    expect(contains('203.0.113.7', '203.0.113.6')).toBe(false);
    expect(contains('0.0.0.0/0', '255.255.255.255')).toBe(true);
  });

  it('ignores host bits set in the block', () => {
    expect(contains('10.1.2.3/8', '10.200.0.1')).toBe(true);
  });

  it('IPv6', () => {
    expect(contains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(contains('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(contains('2001:db8::/127', '2001:db8::1')).toBe(true);
    expect(contains('2001:db8::/128', '2001:db8::1')).toBe(false);
    expect(contains('::/0', '2001:db8::1')).toBe(true);
  });

  it('never mixes families', () => {
    expect(contains('0.0.0.0/0', '::1')).toBe(false);
    expect(contains('::/0', '10.0.0.1')).toBe(false);
    // The IPv4-mapped address has the same low bits as 192.0.2.1 but is IPv6.
    expect(contains('192.0.2.1', '::ffff:192.0.2.1')).toBe(false);
  });
});
