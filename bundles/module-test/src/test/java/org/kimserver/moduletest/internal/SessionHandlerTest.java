package org.kimserver.moduletest.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.Test;
import org.kimserver.moduletest.internal.SessionHandler.User;

/** What the session command takes as a user, read as the tree reader it replaced did. */
public class SessionHandlerTest {

    private static User parse(String json) throws IOException {
        return SessionHandler.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    public void theOriginalsRequestIsAUser() throws IOException {
        assertEquals(new User(42L, "hello - 42"), parse("{\"user_id\":42,\"user_name\":\"hello - 42\"}"));
        assertEquals("other fields, nested ones too, are skipped", new User(7L, "x"),
                parse("{\"a\":{\"user_id\":1,\"b\":[1,{}]},\"user_id\":7,\"user_name\":\"x\",\"c\":null}"));
        assertEquals("the name is optional", new User(-3L, ""), parse("{\"user_id\":-3}"));
        assertEquals("a number as the name is its text", new User(1L, "12"), parse("{\"user_id\":1,\"user_name\":12}"));
        assertEquals("the last of two user_ids counts", new User(2L, ""), parse("{\"user_id\":1,\"user_id\":2}"));
        assertEquals("what follows the object is not read", new User(5L, ""), parse("{\"user_id\":5} trailing"));
    }

    @Test
    public void aUserIdThatIsNoIntegerFittingALongIsNone() throws IOException {
        for (String json : new String[] {"{\"user_name\":\"n\"}", "{\"user_id\":\"42\"}", "{\"user_id\":4.5}",
                "{\"user_id\":123456789012345678901234567890}", "{\"user_id\":null}", "{\"user_id\":[1]}"}) {
            assertNull(json, parse(json).userId());
        }
    }

    @Test
    public void dataThatIsNoObjectIsRefused() throws IOException {
        assertThrows(JsonProcessingException.class, () -> parse("not json"));
        assertThrows("ends inside the object", JsonProcessingException.class, () -> parse("{\"user_id\":1"));
        assertThrows(JsonProcessingException.class, () -> parse("{\"user_id\":}"));
        assertNull(parse("[{\"user_id\":1}]"));
        assertNull(parse("42"));
        assertNull(parse(""));
    }
}
