package dev.tarmac.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A headless Chromium for the portal's browser tests: Debian's {@code chromium} driven through Debian's
 * {@code chromium-driver}, both found on PATH (installed by {@code .ci/run}); never a downloaded driver (Selenium
 * Manager is not used). Screenshots go to {@code target/screenshots/}.
 */
public final class Browser implements AutoCloseable {

  private final ChromeDriver driver;

  private Browser(ChromeDriver driver) {
    this.driver = driver;
  }

  /**
   * Starts headless Chromium at 1280×900.
   *
   * @throws IllegalStateException when chromedriver or chromium is not on PATH, saying which package to install
   */
  public static Browser start() {
    Path driverBinary = onPath("chromedriver").orElseThrow(() -> new IllegalStateException(
        "chromedriver is not on PATH: install Debian's chromium-driver (apt-get install chromium chromium-driver);"
            + " .ci/run does this on a fresh machine"));
    Path chromium = onPath("chromium").or(() -> onPath("chromium-browser")).orElseThrow(() ->
        new IllegalStateException("chromium is not on PATH: install Debian's chromium package"));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driverBinary.toFile())
        .usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions().setBinary(chromium.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
            "--disable-gpu", "--no-first-run", "--disable-extensions");
    return new Browser(new ChromeDriver(service, options));
  }

  /** The WebDriver, for finding elements and navigating. */
  public WebDriver driver() {
    return driver;
  }

  /** A wait of up to {@code seconds} seconds, for conditions such as a page updating itself. */
  public WebDriverWait await(int seconds) {
    return new WebDriverWait(driver, Duration.ofSeconds(seconds));
  }

  /**
   * Saves the current page as {@code target/screenshots/<name>.png} and returns its path.
   *
   * @throws IOException when the file cannot be written
   */
  public Path screenshot(String name) throws IOException {
    Path dir = Path.of("target", "screenshots");
    Files.createDirectories(dir);
    Path file = dir.resolve(name + ".png");
    Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    return file;
  }

  @Override
  public void close() {
    driver.quit();
  }

  private static java.util.Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return java.util.Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return java.util.Optional.of(candidate);
      }
    }
    return java.util.Optional.empty();
  }
}
