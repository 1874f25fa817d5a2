/** Registry records: apps and their manifests, communities, installations, credentials. */

export type Approval = 'automatic' | 'manual';
export type Visibility = 'private' | 'unlisted' | 'public';
export type InstallationStatus = 'installed' | 'pending_approval' | 'uninstalled';

export interface ServiceRequest {
  action: string;
  reason: string;
}
export interface ServiceResponse {
  action: string;
  reason: string;
  url: string;
  /** Versions of the action this app answers, ascending (an extension of Layers' manifest:
   * absent in a manifest means [1], filled once by the manifest parser). */
  versions: number[];
}
export interface ServicePublish {
  action: string;
  reason: string;
}
export interface ServiceSubscribe {
  action: string;
  reason: string;
  url: string;
}

export interface Manifest {
  id: string;
  displayName: string;
  description?: string;
  icon?: string;
  approval: Approval;
  visibility: Visibility;
  services: {
    enabled: boolean;
    requests: ServiceRequest[];
    responds: ServiceResponse[];
    publishes: ServicePublish[];
    subscribes: ServiceSubscribe[];
  };
}

/** Times are epoch milliseconds throughout the storage layer. */
export interface AppRecord {
  id: string;
  manifest: Manifest;
  /** The newest legacy shared secret the hub puts in the body of what it sends to the app; sent
   * once the overlap after its rotation ends (see registry/app-secrets.ts). */
  secret: string;
  /** The legacy secret sent before the last rotation, still sent until the overlap ends. */
  previousSecret: string | null;
  /** `whsec_` + base64: the key the hub signs with (Standard Webhooks). */
  signingSecret: string;
  /** The signing secret before the last rotation, still signed with until the overlap ends. */
  previousSigningSecret: string | null;
  /** End of the overlap after the last rotation: the previous secrets are used until then. */
  previousSecretsExpireAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface TokenRecord {
  id: string;
  appId: string;
  /** SHA-256 (hex) of the token's secret part; the token itself is never stored. */
  hash: string;
  label: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface CommunityRecord {
  id: string;
  createdAt: number;
}

export interface InstallationRecord {
  communityId: string;
  appId: string;
  status: InstallationStatus;
  createdAt: number;
  updatedAt: number;
}

/** A subscription switched off in one community, by a 410 from the subscriber or by the operator. */
export interface DisabledSubscription {
  communityId: string;
  appId: string;
  action: string;
  disabledAt: number;
  reason: string;
}
