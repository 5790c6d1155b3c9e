// Neutron state, as much as booting servers needs: networks, subnets, and the ports Nova creates for
// servers (one per requested network, with a fixed IP from the network's first subnet). Shapes from the
// Networking API v2.0 api-ref (neutron-lib api-ref: networks, subnets, ports); "networks: auto" as Nova's
// api-ref for POST /servers (microversion 2.37) describes it.
import { randomBytes, randomUUID } from "node:crypto";
import type { Clock } from "../../clock";
import { NeutronError } from "../errors";

export interface Network {
  id: string;
  name: string;
  projectId: string;
  shared: boolean;
  external: boolean;
  subnetIds: string[];
  createdAt: number;
}

export interface Subnet {
  id: string;
  name: string;
  networkId: string;
  projectId: string;
  cidr: string;
  gatewayIp: string;
  /** Next host number handed out in the /24 (or smaller) prefix. */
  nextHost: number;
  createdAt: number;
}

export interface Port {
  id: string;
  networkId: string;
  projectId: string;
  macAddress: string;
  fixedIps: { subnet_id: string; ip_address: string }[];
  deviceId: string;
  deviceOwner: string;
  createdAt: number;
}

export const PRIVATE_NETWORK_ID = "3c8f2a5e-7b1d-4e9a-8c6f-1d2b3a4c5e6f";
export const PRIVATE_SUBNET_ID = "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d";

export class NetworkModel {
  networks = new Map<string, Network>();
  subnets = new Map<string, Subnet>();
  ports = new Map<string, Port>();

  constructor(
    private readonly clock: Clock,
    private readonly projectId: string,
  ) {
    this.seed();
  }

  reset(): void {
    this.networks.clear();
    this.subnets.clear();
    this.ports.clear();
    this.seed();
  }

  /** DevStack's layout: a `private` network with `private-subnet` 10.0.0.0/26 in the demo project. */
  private seed(): void {
    const now = this.clock.now();
    this.networks.set(PRIVATE_NETWORK_ID, { id: PRIVATE_NETWORK_ID, name: "private", projectId: this.projectId, shared: false, external: false, subnetIds: [PRIVATE_SUBNET_ID], createdAt: now });
    this.subnets.set(PRIVATE_SUBNET_ID, { id: PRIVATE_SUBNET_ID, name: "private-subnet", networkId: PRIVATE_NETWORK_ID, projectId: this.projectId, cidr: "10.0.0.0/26", gatewayIp: "10.0.0.1", nextHost: 10, createdAt: now });
  }

  getNetwork(id: string): Network {
    const n = this.networks.get(id);
    if (!n) throw new NeutronError(404, "NetworkNotFound", `Network ${id} could not be found.`);
    return n;
  }

  /** Networks a project may boot on: its own and shared ones, not external ones. */
  available(projectId: string): Network[] {
    return [...this.networks.values()].filter((n) => (n.projectId === projectId || n.shared) && !n.external);
  }

  /** A port for a server on the network, with the next fixed IP of its first subnet. */
  createServerPort(networkId: string, serverId: string, projectId: string): Port {
    const net = this.getNetwork(networkId);
    const subnet = this.subnets.get(net.subnetIds[0]);
    const fixedIps: Port["fixedIps"] = [];
    if (subnet) {
      const [base, bits] = subnet.cidr.split("/");
      const size = 2 ** (32 - Number(bits));
      if (subnet.nextHost >= size - 1) throw new NeutronError(409, "IpAddressGenerationFailure", `No more IP addresses available on network ${networkId}.`);
      const octets = base.split(".").map(Number);
      const n = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3] + subnet.nextHost++;
      fixedIps.push({ subnet_id: subnet.id, ip_address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".") });
    }
    const mac = ["fa", "16", "3e", ...randomBytes(3).toString("hex").match(/../g)!].join(":");
    const port: Port = { id: randomUUID(), networkId, projectId, macAddress: mac, fixedIps, deviceId: serverId, deviceOwner: "compute:nova", createdAt: this.clock.now() };
    this.ports.set(port.id, port);
    return port;
  }

  deleteServerPorts(serverId: string): void {
    for (const [id, p] of this.ports) if (p.deviceId === serverId) this.ports.delete(id);
  }
}
