"""Entry point: `python app.py` runs the development server on the embedded defaults."""

from navigator import create_app

app = create_app()

if __name__ == "__main__":
    from navigator.cli import print_demo_credentials, seed_demo

    with app.app_context():
        if app.config["DEMO"] is not False and not app.config["DATABASE_URL"]:
            seed_demo()
        print_demo_credentials()
    from navigator.jobs import start_worker

    start_worker(app)  # background jobs run in this process too: no second command needed
    app.run(host="127.0.0.1", port=5000, debug=False, threaded=True)
