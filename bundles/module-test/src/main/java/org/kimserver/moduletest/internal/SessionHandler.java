package org.kimserver.moduletest.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
    private static final JsonFactory JSON = new JsonFactory();
    private static final Reply DONE = Reply.ok("done", "test session!");
    private static final Reply INVALID_JSON = Reply.of(ErrorCode.FAILED, "fail", "invalid json data!");
    private static final Reply DELETE_FAILED = Reply.of(ErrorCode.FAILED, "fail", "del session failed!");

    @Reference
    private SessionManager sessions;

    /** The two fields the command reads; {@code userId} null when missing or not an integer that fits a long. */
    record User(Long userId, String userName) {
    }

    @Override
    public Reply handle(Request request) {
        User user;
        try {
            user = parse(request.data());
        } catch (IOException e) { // not JSON
            return INVALID_JSON;
        }
        if (user == null || user.userId() == null) {
            return INVALID_JSON;
        }
        long userId = user.userId();
        String id = Long.toUnsignedString(userId);
        UserSession session = sessions.getOrCreate(id, UserSession.class, UserSession::new,
                SessionManager.DEFAULT_TIMEOUT);
        session.set(userId, user.userName());
        return sessions.delete(id) ? DONE : DELETE_FAILED;
    }

    /**
     * Reads the top-level object's fields as they stream by, without building a tree (the tree cost more than the
     * rest of the command). Null if the data is not an object; what follows the object is not read (as a tree reader would not).
     */
    static User parse(byte[] data) throws IOException {
        try (JsonParser parser = JSON.createParser(data)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            Long userId = null;
            String userName = "";
            for (String field = parser.nextFieldName(); field != null; field = parser.nextFieldName()) {
                JsonToken value = parser.nextToken();
                if (field.equals("user_id")) {
                    userId = value == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() != JsonParser.NumberType
                            .BIG_INTEGER ? parser.getLongValue() : null;
                } else if (field.equals("user_name")) {
                    userName = value.isScalarValue() && value != JsonToken.VALUE_NULL ? parser.getText() : "";
                }
                parser.skipChildren();
            }
            return new User(userId, userName); // data that ends inside the object threw above
        }
    }
}
