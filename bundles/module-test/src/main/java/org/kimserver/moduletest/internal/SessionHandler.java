package org.kimserver.moduletest.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.ErrorCode;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.kimserver.api.SessionManager;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * cmd 1007, the original's KP_REQ_TEST_SESSION: reads {@code {"user_id": ..., "user_name": ...}}, gets or creates
 * that user's session (5 s expiry), fills it, then deletes it. It declares nothing about blocking, so it runs on
 * a virtual thread, which is what a handler that touches a database would do.
 */
@Component(property = CommandHandler.CMD + "=1007")
public final class SessionHandler implements CommandHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Reply DONE = Reply.ok("done", "test session!");
    private static final Reply INVALID_JSON = Reply.of(ErrorCode.FAILED, "fail", "invalid json data!");
    private static final Reply DELETE_FAILED = Reply.of(ErrorCode.FAILED, "fail", "del session failed!");

    @Reference
    private SessionManager sessions;

    @Override
    public Reply handle(Request request) {
        JsonNode user;
        try {
            user = JSON.readTree(request.data());
        } catch (IOException e) { // not JSON
            return INVALID_JSON;
        }
        JsonNode userId = user == null ? null : user.get("user_id");
        if (userId == null || !userId.canConvertToLong() || !userId.isIntegralNumber()) {
            return INVALID_JSON;
        }
        String id = Long.toUnsignedString(userId.asLong());
        UserSession session = sessions.getOrCreate(id, UserSession.class, UserSession::new,
                SessionManager.DEFAULT_TIMEOUT);
        session.set(userId.asLong(), user.path("user_name").asText(""));
        return sessions.delete(id) ? DONE : DELETE_FAILED;
    }
}
