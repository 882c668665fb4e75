/// The `sockets` section of `hostaudit facts`: TCP and UDP sockets (IPv4 and
/// IPv6, every state) from `NETLINK_SOCK_DIAG`, with the processes holding
/// them (matched by socket inode through `/proc/PID/fd`).
///
/// Paths policies read, e.g. `sockets.list[].remote_port`,
/// `sockets.list[].processes[].comm`, `sockets.list[].state`.
/// Sockets are per network namespace: this is the namespace hostaudit runs in.
public struct SocketsFacts: Encodable, Sendable, Equatable {
    public var available: Bool
    public var unavailableReason: String?
    /// `/proc/self/ns/net` (e.g. `net:[4026531840]`), the namespace listed.
    public var netns: String?
    /// Whether every process's fds could be read (root); otherwise owners may be missing.
    public var privileged: Bool
    public var count: Int
    public var list: [SocketFact]
    public var errors: [String]

    public init(
        available: Bool, unavailableReason: String? = nil, netns: String?, privileged: Bool, list: [SocketFact],
        errors: [String] = []
    ) {
        self.available = available
        self.unavailableReason = unavailableReason
        self.netns = netns
        self.privileged = privileged
        self.count = list.count
        self.list = list
        self.errors = errors
    }

    public static func unavailable(_ reason: String) -> SocketsFacts {
        SocketsFacts(available: false, unavailableReason: reason, netns: nil, privileged: false, list: [])
    }
}

public struct SocketFact: Encodable, Sendable, Equatable {
    /// `tcp` or `udp`.
    public var protocolName: String
    /// `ipv4` or `ipv6`.
    public var family: String
    /// TCP state name (`LISTEN`, `ESTABLISHED`, …); UDP sockets are `CLOSE` when unconnected.
    public var state: String
    public var localAddress: String
    public var localPort: Int
    public var remoteAddress: String
    public var remotePort: Int
    /// Bound interface index (0 = any).
    public var interface: Int
    public var uid: UInt32
    public var inode: UInt64
    public var receiveQueue: UInt32
    public var sendQueue: UInt32
    /// Pids holding the socket (empty when none could be found: a socket of an
    /// exited process, or one in a process whose fds could not be read).
    public var pids: [Int32]
    public var processes: [Owner]

    public init(
        protocolName: String, family: String, state: String, localAddress: String, localPort: Int,
        remoteAddress: String, remotePort: Int, interface: Int, uid: UInt32, inode: UInt64, receiveQueue: UInt32,
        sendQueue: UInt32, processes: [Owner]
    ) {
        self.protocolName = protocolName
        self.family = family
        self.state = state
        self.localAddress = localAddress
        self.localPort = localPort
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.interface = interface
        self.uid = uid
        self.inode = inode
        self.receiveQueue = receiveQueue
        self.sendQueue = sendQueue
        self.pids = processes.map(\.pid)
        self.processes = processes
    }

    enum CodingKeys: String, CodingKey {
        case protocolName = "protocol"
        case family, state, localAddress, localPort, remoteAddress, remotePort, interface, uid, inode, receiveQueue,
            sendQueue, pids, processes
    }

    public struct Owner: Encodable, Sendable, Equatable {
        public var pid: Int32
        public var comm: String
        public var commB64: String?
        public init(pid: Int32, comm: String, commB64: String?) {
            self.pid = pid
            self.comm = comm
            self.commB64 = commB64
        }
    }

    /// TCP states (include/net/tcp_states.h), indexed by value.
    public static let tcpStates = [
        "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
        "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE",
    ]

    public static func stateName(_ v: UInt8) -> String {
        Int(v) < tcpStates.count ? tcpStates[Int(v)] : "STATE_\(v)"
    }
}
