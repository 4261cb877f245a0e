// hz-eval's --help prose: what is measured, the baselines, recipes, sharding and examples.
// Its indented command lines are examples that HelpExamplesTests runs.

enum EvalHelp {
    static let discussion = """
        Every population (each POPULATION.h5, and the baselines) is fine-tuned by the same code
        (the zoo's recipe, data and per-member seeds; PopulationTrainer on all cores), and test
        accuracy is reported at each epoch of --epochs (0 = as sampled), with mean, std, median,
        quantiles and bootstrap 95% intervals.

        Baselines (built from the zoo, the paper's names):
          B_T  training from scratch: fresh initialisations drawn with the zoo's initialiser
               (--scratch init), or the zoo's own test-split models at epoch 0 (--scratch zoo-test)
          B_F  zoo models as starting points: training-split models at --bf-epoch
               (default: the zoo's last stored epoch)

        Also: ensembles of k models (--ensemble-sizes) of every population at epoch 0 and at the
        last epoch; transfer to another dataset (--transfer digits: sklearn's UCI digits resized to
        28x28; --transfer fashion-mnist: the reverse, for zoos trained on the digits; --transfer
        mnist, svhn, cifar10 or stl10: the papers' datasets, read from --transfer-path or
        $HYPERZOO_DATA/<name> and prepared as their Model Zoos recipe does, with their own
        normalisation: --transfer mnist for an SVHN zoo is the paper's pair), the same
        populations fine-tuned there against scratch training and fine-tuned zoo models; novelty
        (distance of each sample to its nearest training model relative to the typical distance
        between training models, and test-prediction disagreement with that model).

        Noise controls (hz-sample --sampler noise-control) are evaluated like any population;
        each sampled population is shown beside the control made to match its novelty (or the
        control within 10% of its novelty) at every epoch. The report opens with a summary in
        words (better or worse than B_T per epoch with the interval, new or copied, against the
        noise control) and diagnostics (collapsed populations, near copies), also printed as
        warnings.

        --models n takes exactly the first n models of every population and baseline, or stops
        with an error naming the population that has fewer. hz-eval refuses to replace an
        existing report without --force.

        Every sampled population is compared with every baseline at every epoch (in-distribution
        and in each transfer): the difference of mean accuracy with a bootstrap 95% interval,
        Welch's t-test and the Mann-Whitney U test, raw and Holm-adjusted (docs/SAMPLING.md).

        Property prediction: --probe probe.json joins the report of
        `hz-train probe ae.h5 zoo.h5 -o probe.json` (what the
        latents predict about the zoo's models: test accuracy, epoch, hyper-parameters, beside the
        same ridge and MLP predictors on the raw weights and on weight statistics) into report.json
        (key "probe") and report.html (section "Property prediction").

        Recipe: fine-tuning uses the zoo's own recipe: the hz-zoo spec stored in zoos made by
        hz-zoo, or for zoos converted by hz-convert from a Model Zoos folder, its config.json or
        params.json. In a grid ("Hyp") zoo every model has its own activation, dropout,
        initialiser, optimizer and learning rate (its record's hyperparameters): B_F models
        fine-tune with their own, B_T member i with training model i's (fresh weights of that
        recipe's initialiser), and each sampled model with the recipe of its nearest training
        model in weight space. The recipe options override a field for every model, and are
        required for zoos that store none (hz-eval says which are missing). --show-recipe
        prints what will be used: one recipe, or the distinct ones with their models and a
        warning that the zoo mixes recipes.

        Sharding (Slurm job arrays, several machines): --shard I/N fine-tunes only members m with
        m mod N = I of every population and baseline (round-robin, as hz-zoo --shard; member m's
        seeds are the single run's) and writes a part file to -o instead of the report: the
        shard's per-model accuracies and losses, a digest of the inputs and options, I, N and
        --models. --shard env reads I from SLURM_ARRAY_TASK_ID and N from SLURM_ARRAY_TASK_COUNT.
        Ensembles and novelty draw on whole populations and are refused with --shard (pass
        --ensemble-sizes none and --no-novelty). hyperzoo merge-eval (see its --help) checks that
        the parts belong together and writes the report a single run with these options writes:

          hz-eval population.h5 --zoo zoo.h5 --ensemble-sizes none --no-novelty --shard 0/2 -o part-0.json
          hz-eval population.h5 --zoo zoo.h5 --ensemble-sizes none --no-novelty --shard 1/2 -o part-1.json
          hyperzoo merge-eval part-0.json part-1.json -o report

        Example:
          hz-eval kde30.h5 neigh30.h5 --zoo zoo.h5 --epochs 0,1,5 --models 20 \\
              --train-subset 10000 --transfer digits -o report/
          tools/render-report report/report.html
          hz-eval pop.h5 --zoo converted.h5 --show-recipe
          hz-eval pop.h5 --zoo digits-zoo.h5 --transfer fashion-mnist \\
              --transfer-train-subset 5000 -o reverse/
        """
}
