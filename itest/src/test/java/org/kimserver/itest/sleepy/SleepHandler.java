package org.kimserver.itest.sleepy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.ErrorCode;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;

/**
 * Packed into a test module that uses database node "test" as any module would (its DataSource, bound by SCR into
 * {@link #db} by a dynamic reference, so that a changed node does not restart it): runs {@code select sleep(<data>)}, so that a test can make a statement as slow as it wants.
 */
public class SleepHandler implements CommandHandler {
    private volatile DataSource db;

    @Override
    public Reply handle(Request request) {
        double seconds = Double.parseDouble(request.dataAsString());
        try (Connection connection = db.getConnection(); Statement statement = connection.createStatement()) {
            statement.executeQuery("select sleep(" + seconds + ")").close();
            return Reply.ok("ok", "slept");
        } catch (SQLException e) {
            return Reply.of(ErrorCode.FAILED, e.getMessage(), "");
        }
    }
}
