/**
 * Which addresses the hub may connect to when it calls providers and delivers to subscribers
 * (SSRF defence). An address is refused when it is in a denied range and in no allowed range: the
 * operator's HUB_OUTBOUND_ALLOW wins over every deny, so one private range can be opened.
 *
 * Denied by default: addresses that are never a legitimate app (unspecified, link-local, multicast,
 * reserved, broadcast) and the cloud metadata services, which hand out credentials to whoever asks
 * from inside the machine. With `denyPrivate`, loopback and private ranges too, for deployments
 * where app developers register their own manifests. IPv4-mapped IPv6 addresses are checked as the
 * IPv4 address they carry.
 *
 * The check runs where the address is final: on every address a host name resolves to, in the
 * lookup the socket connects with (no second resolution an attacker's DNS could answer
 * differently), and on IP literals, which Node connects to without a lookup.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { HubConfig } from '../config.js';

/** A CIDR range: `10.0.0.0/8`, `fd00::/8`, or a bare address (one host). */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface OutboundPolicyOptions {
  /** Ranges denied besides the defaults (HUB_OUTBOUND_DENY). */
  deny?: readonly Cidr[];
  /** Ranges allowed even when denied (HUB_OUTBOUND_ALLOW). */
  allow?: readonly Cidr[];
  /** Also deny loopback and private ranges (HUB_OUTBOUND_DENY_PRIVATE). */
  denyPrivate?: boolean;
}

/** Never a legitimate app, whatever the deployment. */
const ALWAYS_DENIED = [
  '0.0.0.0/8', // "this network"; 0.0.0.0 reaches the local host on Linux
  '::/128', // unspecified
  '169.254.0.0/16', // link-local, home of most metadata services
  'fe80::/10', // link-local
  '224.0.0.0/4', // multicast
  'ff00::/8', // multicast
  '240.0.0.0/4', // reserved, and the broadcast address
  // Cloud metadata services outside the link-local ranges.
  'fd00:ec2::254/128', // AWS (IPv6)
  '100.100.100.200/32', // Alibaba Cloud
  '168.63.129.16/32', // Azure WireServer
  '192.0.0.192/32', // Oracle Cloud (classic)
];

/** Denied with `denyPrivate`. */
const PRIVATE = [
  '127.0.0.0/8', // loopback
  '::1/128', // loopback
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10', // carrier-grade NAT
  'fc00::/7', // unique local
  'fec0::/10', // site-local (deprecated, still routed by some)
];

/** Parses one CIDR (or bare address); throws an Error saying what is wrong. */
export function parseCidr(text: string): Cidr {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) throw new Error(`"${text}" is not an IP address or CIDR range`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) throw new Error(`"${text}": the prefix must be 0 to ${max}`);
  return { address, prefix, family };
}

/** Comma-separated CIDR ranges; an empty string is none. */
export function parseCidrList(value: string, name = 'CIDR list'): Cidr[] {
  const parts = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return parts.map((part) => {
    try {
      return parseCidr(part);
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  });
}

/** The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, `::ffff:7f00:1`) carries, or
 * the address itself. */
export function unmapIPv4(address: string): string {
  const lower = address.toLowerCase();
  if (!lower.startsWith('::ffff:')) return address;
  const tail = lower.slice(7);
  if (isIP(tail) === 4) return tail;
  const match = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail);
  if (match === null) return address;
  const high = parseInt(match[1]!, 16);
  const low = parseInt(match[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** An address as written, with the IPv4 address it carries when it is IPv4-mapped. */
function describeAddress(address: string): string {
  const ipv4 = unmapIPv4(address);
  return ipv4 === address ? address : `${address} (${ipv4})`;
}

/** Thrown (as a lookup or connect error) when the policy refuses an address. */
export class OutboundDeniedError extends Error {
  override readonly name = 'OutboundDeniedError';
  readonly code = 'ERR_HUB_OUTBOUND_DENIED';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      isIP(host) === 0
        ? `${host} resolves to ${address}, which the outbound policy denies`
        : `address ${describeAddress(host)} is denied by the outbound policy`,
    );
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** The signature of `dns.lookup` as `net.connect` calls it. */
export type LookupFunction = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => void;

const systemLookup = dnsLookup as unknown as LookupFunction;

export class OutboundPolicy {
  private readonly denied = new BlockList();
  private readonly allowed = new BlockList();

  /** The policy the hub's settings (HUB_OUTBOUND_*) describe. */
  static of(config: Pick<HubConfig, 'outboundDeny' | 'outboundAllow' | 'outboundDenyPrivate'>): OutboundPolicy {
    return new OutboundPolicy({ deny: config.outboundDeny, allow: config.outboundAllow, denyPrivate: config.outboundDenyPrivate });
  }

  constructor(options: OutboundPolicyOptions = {}) {
    const defaults = [...ALWAYS_DENIED, ...(options.denyPrivate === true ? PRIVATE : [])].map((text) => parseCidr(text));
    for (const range of [...defaults, ...(options.deny ?? [])]) this.denied.addSubnet(range.address, range.prefix, range.family);
    for (const range of options.allow ?? []) this.allowed.addSubnet(range.address, range.prefix, range.family);
  }

  /** Whether the hub may connect to `address` (an IP address; anything else is refused). */
  allows(address: string): boolean {
    const ip = unmapIPv4(address);
    const version = isIP(ip);
    if (version === 0) return false;
    const family = version === 4 ? 'ipv4' : 'ipv6';
    return this.allowed.check(ip, family) || !this.denied.check(ip, family);
  }

  /**
   * Why a URL may not be registered, or undefined when it may: credentials (which the hub would
   * not send) or an IP literal the policy denies. Host names are checked when they are resolved.
   */
  refusalOf(url: URL): string | undefined {
    if (url.username !== '' || url.password !== '') return 'must not carry credentials (user:password@): the hub does not send them';
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(host) !== 0 && !this.allows(host)) return `${describeAddress(host)} is an address the outbound policy denies`;
    return undefined;
  }

  /**
   * A `lookup` for `net.connect` that resolves with `base` and fails with OutboundDeniedError when
   * any resolved address is denied (a name resolving to a public and a metadata address is refused
   * as a whole).
   */
  lookup(base: LookupFunction = systemLookup): LookupFunction {
    return (hostname, options, callback) => {
      base(hostname, options, (err, address, family) => {
        if (err !== null) return callback(err, address, family);
        const addresses = typeof address === 'string' ? [address] : address.map((a) => a.address);
        const refused = addresses.find((a) => !this.allows(a));
        if (refused !== undefined) return callback(new OutboundDeniedError(hostname, unmapIPv4(refused)), address, family);
        callback(null, address, family);
      });
    };
  }
}
