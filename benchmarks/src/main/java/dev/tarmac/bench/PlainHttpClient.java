package dev.tarmac.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 GETs on one kept-alive socket, written and read on the calling thread: no selector, no executor, no
 * hand-off between threads. The catalog scenario times a few calls with it beside {@code java.net.http.HttpClient}
 * (which hands each exchange between its selector thread and an executor) to tell the client's share of a latency from the
 * server's. Only what the operator answers is read: a status line, headers, and a body of {@code Content-Length} bytes
 * (a chunked answer is an error).
 */
final class PlainHttpClient implements AutoCloseable {

  /** A response: its status, its {@code Server-Timing} header ("" when absent) and its body's length in bytes. */
  record Answer(int status, String serverTiming, int bodyBytes) {
  }

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private final String host;

  PlainHttpClient(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setTcpNoDelay(true);
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    host = "127.0.0.1:" + port;
  }

  /** GETs {@code path} (with its query) and reads the whole answer. */
  Answer get(String path) throws IOException {
    out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: application/json\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String status = line();
    if (status == null || !status.startsWith("HTTP/1.1 ")) {
      throw new IOException("not an HTTP/1.1 answer: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    int length = -1;
    String timing = "";
    for (String h = line(); h != null && !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      String name = h.substring(0, colon).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        length = Integer.parseInt(h.substring(colon + 1).trim());
      } else if (name.equalsIgnoreCase("Server-Timing")) {
        timing = h.substring(colon + 1).trim();
      }
    }
    if (length < 0) {
      throw new IOException("an answer without Content-Length to " + path);
    }
    in.readNBytes(length);
    return new Answer(code, timing, length);
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(128);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        return null;
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
