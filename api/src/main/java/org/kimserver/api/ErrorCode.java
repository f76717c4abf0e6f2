package org.kimserver.api;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Result codes carried in {@code rsp_result.code} of every reply. The numbers and meanings are those of
 * co_kimserver, so clients written for it interpret our replies unchanged.
 */
public enum ErrorCode {
    OK(0, "success"),
    FAILED(1, "generic failure"),
    INVALID_MSG_DATA(2, "request data could not be parsed"),
    INVALID_WORKER_INDEX(3, "bad worker index"),
    UNKNOWN_CMD(4, "no handler for the command"),
    INVALID_PARAMS(5, "empty or invalid arguments"),
    INVALID_CONN(6, "send on an unknown or closed connection"),
    SEND_DATA_FAILED(7, "write error"),
    ENCODE_DATA_FAILED(8, "encode error"),
    INVALID_PROCESS_TYPE(9, "called in the wrong process role"),
    INVALID_PROTOBUF_PACKET(10, "system command payload could not be parsed"),
    INVALID_RESPONSE(11, "response without rsp_result, or bad data"),
    TRANSFER_FD_FAILED(12, "passing a socket to a worker failed"),
    TRANSFER_FD_DONE(13, "the socket was handed to a worker"),
    NODE_CONNECT_FAILED(14, "connecting to another node failed"),
    CAN_NOT_FIND_NODE(15, "unknown database node"),
    CAN_NOT_FIND_CONN(16, "no node of that type to relay to"),
    READ_DATA_FAILED(17, "relay read error"),
    READ_DATA_TIMEOUT(18, "relay reply not received in time"),
    PACKET_DECODE_FAILED(19, "frame decode error, or the peer closed"),
    CONN_CLOSED(20, "relay peer closed"),
    DB_MGR_EXIT(21, "database pool shutting down"),

    REDIS_CONNECT_FAILED(11001, "connecting to Redis failed"),
    REDIS_DISCONNECT(11002, "Redis disconnected"),
    /** co_kimserver also names this value ERR_REDIS_CALLBACK; both meant a failed read. */
    REDIS_READ_FAILED(11003, "Redis read failed"),
    REDIS_WRITE_FAILED(11004, "Redis write failed"),
    REDIS_NO_CONNECTION(11005, "unknown Redis node"),
    REDIS_TASKS_OVER_LIMIT(11006, "too many queued Redis commands"),
    REDIS_TASKS_CLEAR(11007, "Redis connection failed; queued commands failed"),
    REDIS_APPEND_CMD_FAILED(11008, "Redis command could not be queued"),
    REDIS_GET_REPLY_FAILED(11009, "Redis reply error"),

    DB_FAILED(12001, "database failure"),
    DB_GET_CONNECTION(12002, "no database connection available"),
    DB_INVALID_QUERY_SQL(12003, "a read that is not select/show/explain/desc"),
    DB_QUERY_FAILED(12004, "database read failed"),
    DB_EXEC_FAILED(12005, "database write failed"),
    DB_CAN_NOT_FIND_NODE(12006, "unknown database node"),
    DB_TASKS_OVER_LIMIT(12007, "too many queued database tasks"),
    DB_TASKS_TIME_OUT(12008, "database task waited too long"),
    DB_CONNECT_FAILED(12009, "connecting to the database failed");

    private static final Map<Integer, ErrorCode> BY_CODE = new HashMap<>();

    static {
        for (ErrorCode e : values()) {
            BY_CODE.put(e.code, e);
        }
    }

    private final int code;
    private final String description;

    ErrorCode(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /** The number on the wire. */
    public int code() {
        return code;
    }

    /** A short English description, for logs and the shell. */
    public String description() {
        return description;
    }

    /** The code with that number, if it is one of ours. */
    public static Optional<ErrorCode> of(int code) {
        return Optional.ofNullable(BY_CODE.get(code));
    }
}
