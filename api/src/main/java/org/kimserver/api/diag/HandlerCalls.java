package org.kimserver.api.diag;

/**
 * The requests the handlers of one bundle version have taken since they were registered.
 *
 * @param bundle   the bundle's symbolic name
 * @param version  its version
 * @param calls    requests handed to its handlers
 * @param failures those that ended with code 1 (FAILED): the handler threw, or answered so
 */
public record HandlerCalls(String bundle, String version, long calls, long failures) {
}
